"""The team's patient list as rows (app/nurse/patient_list.py): the team's people in name order,
each with their key worker and whether they have set up a way to sign in, in one statement."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import PasskeyCredential, Team, User
from app.nurse.patient_list import team_patients
from tests.helpers import make_patient
from tests.test_query_counts import counting_statements


@pytest.mark.parametrize("password, passkeys, signed_up", [
    (None, 0, False),
    ("hash", 0, True),        # NHS number and a password (no passkey on that browser)
    (None, 1, True),
    (None, 2, True),          # two passkeys: still one row
    ("hash", 1, True),
])
def test_signed_up_is_a_password_or_any_passkey(app, actors, password, passkeys, signed_up):
    with app.app_context():
        team = db.session.get(Team, actors.team_a)
        person = make_patient(team, "Cara", "Aardvark", key_worker=None)
        db.session.flush()
        person.user.password_hash = password
        for n in range(passkeys):
            db.session.add(PasskeyCredential(user_id=person.user_id, credential_id=f"cred-{n}".encode(),
                                             public_key=b"key", name=f"Phone {n}"))
        db.session.commit()
        with counting_statements() as statements:
            rows = team_patients(actors.team_a, "", limit=50)
        assert len(statements) == 1
        assert [(r.family_name, r.signed_up, r.key_worker_name) for r in rows] == [
            ("Aardvark", signed_up, None), ("Able", False, "Nurse A"), ("Ames", False, "Nurse A")]
        assert rows[0].nhs_number_display == f"{person.nhs_number[:3]} {person.nhs_number[3:6]} {person.nhs_number[6:]}"


def test_only_the_teams_own_people_and_the_search_and_the_limit_apply(app, actors):
    with app.app_context():
        assert [r.given_name for r in team_patients(actors.team_b, "", limit=50)] == ["Ben"]
        assert [r.given_name for r in team_patients(actors.team_a, "ames", limit=50)] == ["Arthur"]
        assert [r.given_name for r in team_patients(actors.team_a, "", limit=1)] == ["Ann"]
        nurse = db.session.get(User, actors.nurse_a)
        assert {r.key_worker_name for r in team_patients(actors.team_a, "", limit=50)} == {nurse.display_name}


@pytest.mark.parametrize("flagged, reviewed, needs_review", [
    (0, 0, False),
    (1, 0, True),
    (2, 0, True),       # two results waiting: still one row
    (0, 1, False),      # a result already reviewed
    (1, 1, True),
])
def test_a_result_waiting_for_review_marks_the_person_in_the_same_statement(app, actors, flagged, reviewed,
                                                                           needs_review):
    from tests.results.helpers import flagged_result, make_psa

    with app.app_context():
        test = make_psa(actors.profile_a, actors.nurse_a)
        for _ in range(flagged):
            flagged_result(test, actors.nurse_a)
        for _ in range(reviewed):
            flagged_result(test, actors.nurse_a).needs_review = False
        db.session.commit()
        with counting_statements() as statements:
            rows = team_patients(actors.team_a, "", limit=50)
        assert len(statements) == 1
        assert {r.id: r.needs_review for r in rows} == {actors.profile_a: needs_review, actors.profile_a2: False}


def test_the_list_shows_who_has_a_result_waiting_for_review(app, actors, nurse):
    from app.models import PatientProfile
    from tests.results.helpers import flagged_result, make_psa

    with app.app_context():
        flagged_result(make_psa(actors.profile_a, actors.nurse_a), actors.nurse_a)
        flagged_name = db.session.get(PatientProfile, actors.profile_a).family_name
    page = nurse.get("/nurse/patients").get_data(as_text=True)
    rows = page.split('<tr class="nhsuk-table__row">')[1:]
    assert len(rows) == 2
    assert [flagged_name in row for row in rows if "Result needs review" in row] == [True]


# The patient list's rows as its template printed them before patient_rows_html: the reference.
TEMPLATE_PATIENT_ROWS = """{% for p in patients %}
    <tr class="nhsuk-table__row">
      <td class="nhsuk-table__cell"><a href="{{ patient_href }}{{ p.id }}">{{ p.family_name }}, {{ p.given_name }}</a>{% if p.needs_review %} <strong class="nhsuk-tag nhsuk-tag--red">Result needs review</strong>{% endif %}</td>
      <td class="nhsuk-table__cell nhsuk-u-nowrap">{{ p.nhs_number_display }}</td>
      <td class="nhsuk-table__cell">{{ pathway_name(p.tumour_pathway) }}</td>
      <td class="nhsuk-table__cell">{{ p.key_worker_name or "None" }}</td>
      <td class="nhsuk-table__cell">{{ "Yes" if p.signed_up else "Not yet" }}</td>
    </tr>
  {% endfor %}"""


def list_rows_of_every_kind():
    from app.nurse.patient_list import PatientListRow

    return [
        PatientListRow(1, "Able", "Ann", "9434765919", "breast", "Sam Taylor", True, False),
        PatientListRow(22, "O'Brien & <Sons>", "\"Bo\" <b>", "9990012342", "lung", None, False, True),
        PatientListRow(333, "Cole", "Cy", "9990024685", "not_a_pathway<i>", "Al <script>x</script>", True, True),
        PatientListRow(4444, "Dee", "Di", "9990037027", "head_and_neck", "", False, False),
    ]


@pytest.mark.parametrize("count", [0, 1, 4])
@pytest.mark.parametrize("href", ["/nurse/patients/", "/care/nurse/patients/"])
def test_the_rows_are_what_the_template_printed(app, count, href):
    from app.html_whitespace import without_indentation
    from app.nurse.patient_list import patient_rows_html

    people = list_rows_of_every_kind()[:count]
    with app.test_request_context("/nurse/patients"):
        expected = app.jinja_env.from_string(TEMPLATE_PATIENT_ROWS).render(patients=people, patient_href=href)
    rows = patient_rows_html(people, href)
    # Within the table's body, as the page prints either (its whitespace pass after).
    assert without_indentation(f"<tbody>\n  {rows}\n  </tbody>") == without_indentation(
        f"<tbody>\n  {expected}\n  </tbody>")
    assert rows.count("<tr") == count and "<script>" not in rows and "<b>" not in rows
