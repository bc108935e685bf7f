"""The team's patient list: the page's rows in one statement, as plain values.

It used to load each person's record, then their sign-in account and passkeys (two more
statements), and each key worker on first use: ORM objects for 50 rows to print five columns.
The key worker's name comes by an outer join on the users' primary key and whether the person
has signed up by a correlated EXISTS on passkey_credentials.user_id's index (whether a result waits
for review, on test_results' (patient_id, needs_review) index), both over the page's rows only
(_around_the_page); the order is the (team_id, family_name, given_name, id) index's.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from markupsafe import Markup
from sqlalchemy import Select, bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from .. import patient_search
from ..models import PasskeyCredential, PatientProfile, User
from ..pathways import pathway_name
from ..plain_rows import read_rows
from ..results.service import has_result_to_review
from ..templating import escaped_text, personal


class PatientListRow(NamedTuple):
    id: int
    family_name: str
    given_name: str
    nhs_number: str
    tumour_pathway: str
    key_worker_name: str | None
    signed_up: bool  # a passkey, or an NHS number and password
    needs_review: bool  # a result waiting for a nurse's review

    @property
    def nhs_number_display(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"


_KEY_WORKER = aliased(User)
_ACCOUNT = aliased(User)


def _team_in_name_order() -> Select:
    """The team's people in name order, with what the page's own columns are made from."""
    return (
        select(PatientProfile.id, PatientProfile.family_name, PatientProfile.given_name, PatientProfile.nhs_number,
               PatientProfile.tumour_pathway, _KEY_WORKER.display_name.label("key_worker_name"),
               PatientProfile.user_id, _ACCOUNT.password_hash)
        .join(_ACCOUNT, _ACCOUNT.id == PatientProfile.user_id)
        .outerjoin(_KEY_WORKER, _KEY_WORKER.id == PatientProfile.key_worker_id)
        .where(PatientProfile.team_id == bindparam("team_id"))
        .order_by(PatientProfile.family_name, PatientProfile.given_name, PatientProfile.id)
    )


def _around_the_page(people: Select) -> Select:
    """Whether each person signed up and has a result to review, worked out for the page's rows
    only, in a query around the one that finds them (as remote monitoring does): in that query's
    select list PostgreSQL costed the EXISTS for every person of the team (5,000 at 100,000
    people), not the page's 50, and so read test_results' whole (patient_id, needs_review) index
    once to hash it: 1.49x at 100,000 people against 1,000 (bench/volume.py). Over the page's
    rows it looks each one up."""
    page = people.subquery("page")
    has_passkey = exists().where(PasskeyCredential.user_id == page.c.user_id)
    return (
        select(page.c.id, page.c.family_name, page.c.given_name, page.c.nhs_number, page.c.tumour_pathway,
               page.c.key_worker_name, or_(page.c.password_hash.is_not(None), has_passkey),
               has_result_to_review(page.c.id))
        .order_by(page.c.family_name, page.c.given_name, page.c.id)
    )


@lru_cache(maxsize=8)
def _team_patients_statement(limit: int) -> Select:
    """Built once per process with the team bound (as the session's statement): building it (two
    aliases, two EXISTS, a subquery) cost about as much as running it."""
    return _around_the_page(_team_in_name_order().limit(limit))


def team_patients(team_id: int | None, search: str, limit: int) -> list[PatientListRow]:
    """The team's people in name order (up to `limit`), those matching `search` if given."""
    if search:
        # Searches are few, and their words are in the statement (escaped for LIKE).
        stmt = _around_the_page(_team_in_name_order().where(patient_search.matches(search)).limit(limit))
    else:
        stmt = _team_patients_statement(limit)
    # SQLite answers an EXISTS as 0 or 1.
    return [PatientListRow(*row[:-2], bool(row[-2]), bool(row[-1])) for row in read_rows(stmt, {"team_id": team_id})]


def patient_rows_html(rows: list[PatientListRow], patient_href: str) -> Markup:
    """The patient list's rows, one `<tr>` a person: the one place that knows a row's markup.

    A Python function of the rows rather than a template loop, as the queue's (app/nurse/
    queue_view.py queue_rows_html, issue 12): a team's page is up to 50 people, and printing each
    row's values through Jinja cost several calls a value. Every value is escaped as the
    template's autoescape did, by `templating.escaped_text` (the one way Python code escapes
    text, as the queue's rows: a string's in one str.translate, where markupsafe's escape made a
    Markup of each value); tests/nurse/test_patient_list.py compares the rows with the
    template's for a table of rows. `patient_href`: the person's page's address but its id.
    """
    href = escaped_text(patient_href)
    return Markup("\n".join(
        f"<tr class=\"nhsuk-table__row\">\n"
        f"<td class=\"nhsuk-table__cell\"><a href=\"{href}{row.id}\">{escaped_text(row.family_name)}, "
        f"{escaped_text(row.given_name)}</a>{_NEEDS_REVIEW_TAG if row.needs_review else ''}</td>\n"
        f"<td class=\"nhsuk-table__cell nhsuk-u-nowrap\">{escaped_text(row.nhs_number_display)}</td>\n"
        f"<td class=\"nhsuk-table__cell\">{escaped_text(pathway_name(row.tumour_pathway))}</td>\n"
        f"<td class=\"nhsuk-table__cell\">{escaped_text(row.key_worker_name or 'None')}</td>\n"
        f"<td class=\"nhsuk-table__cell\">{'Yes' if row.signed_up else 'Not yet'}</td>\n"
        "</tr>"
        for row in rows))


_NEEDS_REVIEW_TAG = ' <strong class="nhsuk-tag nhsuk-tag--red">Result needs review</strong>'


def patients_page_values(count: int, query: str, rows: Markup, new_patient_href: str) -> dict:
    """What templates/nurse/_patients_page.html shows, for the components' memo: the shape's key
    (whether there is a search, a row, one person or several; the address of the page for a new
    patient, the same for everyone at a site root) and, marked personal, what only this view shows
    (how many people, as digits, the search's words, the rows). Built once per view where the
    template printed each value through autoescape (issue 12)."""
    return {
        "count": personal(str(count)), "one": count == 1,
        "query": personal(query) if query else None,
        "rows": personal(rows) if rows else None,
        "new_patient_href": new_patient_href,
    }
