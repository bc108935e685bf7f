"""The patient's menu (app/main/patient_nav.py): it reaches every patient page, lists only pages
that exist, and marks the page the person is on."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from app.main.patient_nav import PATIENT_NAV, is_current
from app.models import Role

# Patient pages deliberately left out of the menu, each with where the person reaches it from.
# A new patient page fails test_every_patient_page_is_in_the_menu until it is in PATIENT_NAV or here.
REACHED_FROM_ELSEWHERE = {
    "hna.start": "the needs assessment card on the home page (the assessment is offered, not browsed to)",
    "hna.check": "a step of the needs assessment, after its questions",
    "symptoms.new": "the symptom log's page (Symptoms) and the home page's Log a symptom link",
    "main.install": "the account page (Account)",
    "push.settings": "the Account page's Notifications link (How you sign in)",
}


@pytest.mark.parametrize("href, path, exact, current", [
    ("/my-care", "/my-care", True, True),
    # Home's URL starts every patient path: only the home page itself is Home.
    ("/my-care", "/my-care/plan", True, False),
    ("/my-care/plan", "/my-care/plan", False, True),
    ("/my-care/plan", "/my-care/plan/print", False, True),
    # A page whose path only begins with the same letters is another page.
    ("/my-care/plan", "/my-care/planned", False, False),
    ("/my-care/plan", "/my-care/follow-up", False, False),
    ("/account/passkeys", "/account/passkeys/3/rename", False, True),
])
def test_a_menu_entry_is_current_on_its_page_and_the_pages_below_it(href, path, exact, current):
    assert is_current(href, path, exact) is current


def _patient_pages(app) -> set[str]:
    """Endpoints a patient opens as a page: GET, no identifier in the URL, patients only."""
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" in rule.methods and not rule.arguments and getattr(view, "allowed_roles", None) == frozenset({Role.PATIENT}):
            found.add(rule.endpoint)
    return found


def test_every_patient_page_is_in_the_menu(app, patient):
    in_menu = {entry.endpoint for entry in PATIENT_NAV}
    missing = []
    for endpoint in sorted(_patient_pages(app) - in_menu - set(REACHED_FROM_ELSEWHERE)):
        with app.test_request_context():
            url = url_for(endpoint)
        response = patient.get(url)
        # JSON for scripts (the 24-hour line, symptom rules) is not a page to go to.
        if response.status_code == 200 and response.mimetype == "text/html":
            missing.append(f"{endpoint} ({url})")
    assert not missing, "Patient pages missing from app/main/patient_nav.py PATIENT_NAV: " + ", ".join(missing)


def test_every_menu_entry_opens_for_the_patient_and_is_marked_current_there(patient):
    for entry in PATIENT_NAV:
        response = patient.get(url_for_entry(patient, entry.endpoint))
        assert response.status_code == 200, entry.endpoint
        menu = _menu(response.get_data(as_text=True))
        assert [text for _href, text, _current in menu] == [e.text for e in PATIENT_NAV]
        assert [text for _href, text, current in menu if current] == [entry.text], entry.endpoint


def test_the_exemptions_name_patient_pages_that_exist(app):
    # A page renamed or removed leaves no stale excuse behind.
    assert set(REACHED_FROM_ELSEWHERE) <= _patient_pages(app)


def test_staff_do_not_get_the_patient_menu(nurse):
    raw = nurse.get("/nurse/queue").get_data(as_text=True)
    assert "/my-care/plan" not in raw and "Queue" in raw


def url_for_entry(client, endpoint: str) -> str:
    with client.application.test_request_context():
        return url_for(endpoint)


NAV_ITEM = re.compile(r'<li class="nhsuk-header__navigation-item( nhsuk-header__navigation-item--current)?"\s*>(.*?)</li>', re.S)
LINK = re.compile(r'href="([^"]+)"[^>]*>\s*(?:<strong[^>]*>)?([^<]+)')


def _menu(raw: str) -> list[tuple[str, str, bool]]:
    """(href, text, current) of each header menu entry, in order."""
    found = []
    for current, inner in NAV_ITEM.findall(raw):
        href, text = LINK.search(inner).groups()
        found.append((href, text.strip(), bool(current)))
    return found


def menu_at(path: str, unread: int = 0) -> list[dict]:
    """The menu as the layout builds it (templates/base_layout.html, app/templating.py): the
    entries current at `path`, and the Messages entry's words with the unread count."""
    from app.main.patient_nav import current_patient_nav_entries, nav_text_html, patient_menu
    from app.templating import personal

    words = {"messages.patient_threads": personal(nav_text_html("Messages", unread))}
    return patient_menu(current_patient_nav_entries(path), words)


def words_of(item: dict) -> str:
    return str(getattr(item["html"], "value", item["html"]))


def test_the_menu_links_follow_the_root_path_each_request_is_served_under(app, patient):
    # The links are built once per app and root path (app/main/patient_nav.py): an app served
    # under a path prefix, then at the root, links each request to its own.
    with app.test_request_context("/prefix/my-care", base_url="http://localhost/prefix"):
        under_prefix = menu_at("/prefix/my-care")
    with app.test_request_context("/my-care"):
        at_root = menu_at("/my-care")

    assert [item["href"] for item in under_prefix] == ["/prefix" + item["href"] for item in at_root]
    assert at_root[0]["href"] == "/my-care"
    assert [item["href"] for item in at_root if item["current"]] == ["/my-care"]
    assert [item["href"] for item in under_prefix if item["current"]] == ["/prefix/my-care"]


def test_an_unread_count_is_shown_only_on_its_own_entry(app):
    with app.test_request_context("/my-care"):
        with_count = menu_at("/my-care", unread=2)
        without = menu_at("/my-care", unread=0)

    assert [words_of(item) for item in with_count if "unread" in words_of(item)] == [
        'Messages (2<span class="nhsuk-u-visually-hidden"> unread</span>)']
    assert "unread" not in " ".join(words_of(item) for item in without)
    assert [words_of(item) for item in without] == [item["text"] for item in without]


@pytest.mark.parametrize("script_root, path", [
    ("", "/my-care"),
    ("", "/my-care/plan"),
    ("", "/my-care/plan/print"),
    ("", "/my-care/planned"),
    ("", "/account/passkeys/3/rename"),
    ("", "/nowhere"),
    ("/prefix", "/prefix/my-care"),
    ("/prefix", "/prefix/my-care/follow-up"),
    ("/prefix", "/my-care/plan"),
])
def test_the_entries_kept_for_a_path_are_those_its_links_make_current(app, script_root, path):
    # current_patient_nav_entries keeps its answer per app, root path and path: asked again, and
    # asked with the root path given (as the layout asks), it is what is_current says of each link.
    from app.main.patient_nav import _links, current_patient_nav_entries

    with app.test_request_context(path.removeprefix(script_root) or "/", base_url=f"http://localhost{script_root}"):
        expected = tuple(entry.endpoint for entry, href, _ in _links() if is_current(href, path, entry.exact))
        answers = {current_patient_nav_entries(path), current_patient_nav_entries(path, script_root),
                   current_patient_nav_entries(path)}

    assert answers == {expected}


def test_one_path_asked_under_two_root_paths_gets_each_root_s_own_answer(app):
    # One app asked the same path under two root paths: the kept answer of one must not answer the
    # other (review of 2306062: with the root path left out of the key, every test above passed).
    from app.main.patient_nav import current_patient_nav_entries

    with app.test_request_context("/my-care/plan"):
        at_root = current_patient_nav_entries("/prefix/my-care/plan")
    with app.test_request_context("/my-care/plan", base_url="http://localhost/prefix"):
        under_prefix = current_patient_nav_entries("/prefix/my-care/plan")

    assert at_root == ()
    assert under_prefix == ("careplan.patient_plan",)


def test_the_paths_kept_are_bounded_and_forgotten_paths_are_worked_out_again(app, monkeypatch):
    from app.main import patient_nav

    monkeypatch.setattr(patient_nav, "KEPT_PATHS", 3)
    with app.test_request_context("/my-care"):
        answers = [patient_nav.current_patient_nav_entries(f"/my-care/messages/{number}") for number in range(7)]
        kept = app.extensions[patient_nav._CURRENT_KEY]
        home = patient_nav.current_patient_nav_entries("/my-care")

    assert len(kept) <= 3
    assert set(answers) == {("messages.patient_threads",)}
    assert home == ("main.patient_home",)


def test_a_menu_entry_s_words_as_markup_and_as_text_are_kept_apart():
    # The words are kept per argument: a Markup (escaped already) and a str of the same characters
    # must not be given each other's answer (review of 1f7a36e).
    from markupsafe import Markup

    from app.main.patient_nav import nav_text_html

    nav_text_html.cache_clear()
    assert nav_text_html(Markup("a&amp;b")) == Markup("a&amp;b")
    assert nav_text_html("a&amp;b") == Markup("a&amp;amp;b")
    assert nav_text_html(Markup("a&amp;b"), 2) != nav_text_html("a&amp;b", 2)
