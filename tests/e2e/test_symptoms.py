"""The symptom log on a phone: a self-managed patient logs a red flag, is told what to do, and
the nurse finds it at the top of the team's queue. Every page passes axe."""
from __future__ import annotations

import re
import time
from datetime import date

import pytest

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.models import PatientProfile
from tests.e2e.conftest import send_a_severe_high_temperature_started_today, sign_in_browser
from tests.triage.helpers import item
from app.timeutil import london_today
from app.triage.queue import ItemKind


@pytest.mark.hazard("HAZ-015")
def test_a_self_managed_patient_logs_a_red_flag_and_the_nurse_sees_it_at_the_top(app, live_server, open_page, actors):
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.team.phone = "020 7946 0000"
        db.session.add(FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    treatment_review_date=date(2026, 6, 1), open_access_until=date(2031, 6, 1),
                                    updated_by_id=actors.nurse_a))
        item(actors.profile_a2, ItemKind.HNA_NEW, reason="Needs assessment: distress 2 out of 10")
        db.session.commit()

    tab = open_page("phone")
    sign_in_browser(tab, live_server, actors.patient_a)
    page = tab.page
    tab.goto("/my-care/symptoms")
    tab.axe("symptom log")
    page.get_by_role("button", name="Log a symptom").click()
    page.wait_for_url("**/my-care/symptoms/new")
    tab.axe("log a symptom")
    page.get_by_label("A new lump in your breast", exact=False).check()
    page.get_by_label("Moderate", exact=False).check()
    today = london_today()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.locator("input[name=new_or_worse][value=yes]").check()
    page.get_by_label("Anything else you want your team to know").fill("Found it this morning")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/my-care/symptoms/\d+$"))
    heading = page.locator("h1").inner_text()
    assert heading.startswith("Contact your care team")
    assert page.locator('a[href="tel:999"]').count() >= 1
    tab.axe("what to do about a red flag")

    nurse_tab = open_page("desktop")
    sign_in_browser(nurse_tab, live_server, actors.nurse_a)
    nurse_tab.goto("/nurse/queue")
    first_row = nurse_tab.page.locator("tbody tr").first
    assert "Red flag" in first_row.inner_text() and "Ann Able" in first_row.inner_text()
    nurse_tab.axe("team queue with the red flag at the top")
    nurse_tab.goto(f"/nurse/patients/{actors.profile_a}/symptoms")
    assert "Found it this morning" in nurse_tab.page.locator("main").inner_text()
    nurse_tab.axe("the patient's symptom log, for the team")


RULES_KEPT = """async () => {
    const db = await new Promise(r => { const q = indexedDB.open('mycc-offline'); q.onsuccess = () => r(q.result) })
    if (!db.objectStoreNames.contains('person')) { db.close(); return false }
    const kept = await new Promise(r => { const q = db.transaction('person').objectStore('person').get('symptom-rules');
                                          q.onsuccess = () => r(!!q.result) })
    db.close()
    return kept }"""


def rules_kept(page) -> bool:
    return page.evaluate(f"({RULES_KEPT})()")  # evaluate waits for the promise


def wait_until(condition, message: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def open_the_symptom_form_with_its_rules_kept(tab, live_server, user_id: int):
    """The person signed in on `tab`, on the new-symptom form, once the page has kept their
    symptom rules on the phone (what an offline send is judged by). Its Playwright page."""
    sign_in_browser(tab, live_server, user_id)
    page = tab.page
    tab.goto("/my-care/symptoms/new")
    wait_until(lambda: rules_kept(page), "the symptom rules were not kept on the phone")
    return page


@pytest.mark.hazard("HAZ-016")
def test_an_emergency_logged_offline_shows_the_call_now_instruction_and_is_sent_when_back_online(
        app, live_server, open_page, actors):
    from sqlalchemy import select

    from app.symptoms.models import SymptomEntry
    from app.triage.models import QueueItem

    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.team.out_of_hours_phone, profile.team.out_of_hours_name = "020 7946 0999", "Acute oncology line"
        db.session.commit()

    tab = open_page("phone")
    tab.allow_console(r"ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_FAILED|net::ERR")
    page = open_the_symptom_form_with_its_rules_kept(tab, live_server, actors.patient_a)
    page.context.set_offline(True)
    send_a_severe_high_temperature_started_today(page)

    instruction = page.locator("[data-symptom-offline]")
    instruction.get_by_text("Call now: this could be an emergency").wait_for()
    assert "Your team has not been told yet" in instruction.inner_text()
    assert instruction.locator('a[href="tel:999"]').count() == 1
    assert instruction.locator('a[href="tel:02079460999"]').count() == 1
    tab.axe("emergency logged offline")
    with app.app_context():
        assert db.session.scalars(select(SymptomEntry)).all() == []

    # Back online, what to do now is shown once the entry is sent, even while the rules kept on
    # the phone are still being fetched anew (here that fetch never answers).
    rules_asked_for = []
    page.route("**/my-care/symptom-rules", lambda route: rules_asked_for.append(route))  # held: no answer
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r".*/my-care/symptoms/\d+$"))
    assert rules_asked_for, "the rules were not fetched anew on reconnecting"
    page.unroute("**/my-care/symptom-rules")
    page.get_by_text("Call now: this could be an emergency").first.wait_for()
    with app.app_context():
        (entry,) = db.session.scalars(select(SymptomEntry)).all()
        assert entry.level == "emergency"
        (queued,) = db.session.scalars(select(QueueItem)).all()
        assert queued.kind is ItemKind.EMERGENCY

    # The phone is handed to someone else (here a nurse signing in on it): the rules kept for the
    # patient are forgotten with their 24-hour line.
    assert rules_kept(page)
    sign_in_browser(tab, live_server, actors.nurse_a)
    tab.goto("/nurse/queue")
    wait_until(lambda: not rules_kept(page), "the rules kept for the patient were not forgotten")


@pytest.mark.hazard("HAZ-016")
def test_what_two_scripts_keep_at_once_on_a_fresh_phone_can_both_be_read_back(open_page):
    """The urgent line and the symptom rules are kept by two scripts as a page loads. On a fresh
    phone each once made its own key and the last one written won, so the rules could not be
    read offline and the emergency instruction lost the team's 24-hour line."""
    tab = open_page("phone")
    tab.goto("/offline")
    line, rules = tab.page.evaluate("""async () => {
        const store = await import('/static/js/offline-store.js')
        await Promise.all([
            store.keepUrgentLine({ name: 'Acute oncology line', phone: '020 7946 0999', link: '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>' }),
            store.keepSymptomRules({ version: 'pathways-v2', urgent_line: null }),
        ])
        return [await store.keptUrgentLine(), await store.keptSymptomRules()]
    }""")
    assert line == {"name": "Acute oncology line", "phone": "020 7946 0999", "link": '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>'}
    assert rules == {"version": "pathways-v2", "urgent_line": None}


@pytest.mark.hazard("HAZ-016")
def test_a_symptom_kept_on_the_phone_is_sent_when_the_page_opens_even_while_the_rules_fetch_hangs(
        live_server, open_page, actors):
    """On poor signal the rules fetch can hang with no answer: opening the symptom page must still
    send what was kept on the phone (perhaps an emergency logged offline) and show what to do now,
    not wait for the rules first."""
    tab = open_page("phone")
    tab.allow_console(r"ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_FAILED|net::ERR")
    page = open_the_symptom_form_with_its_rules_kept(tab, live_server, actors.patient_a)
    page.context.set_offline(True)
    send_a_severe_high_temperature_started_today(page)
    page.locator("[data-symptom-offline]").get_by_text("Call now: this could be an emergency").wait_for()
    # Left while offline, so no page of this person's sees the phone come back online.
    page.goto("about:blank")
    rules_asked_for = []
    page.context.route("**/my-care/symptom-rules", lambda route: rules_asked_for.append(route))  # held: no answer
    page.context.set_offline(False)
    tab.goto("/my-care/symptoms/new")
    page.wait_for_url(re.compile(r".*/my-care/symptoms/\d+$"))
    assert rules_asked_for, "the rules were not fetched anew when the page opened"
    page.context.unroute("**/my-care/symptom-rules")
    page.get_by_text("Call now: this could be an emergency").first.wait_for()


@pytest.mark.hazard("HAZ-003")
def test_rules_refreshed_for_someone_else_are_not_kept_for_the_pages_person(live_server, open_page, actors):
    """A symptom page loaded for one person refreshes its rules on coming back online with the
    cookie of whoever signed in since: rules naming someone else are not kept over theirs."""
    tab = open_page("phone")
    page = open_the_symptom_form_with_its_rules_kept(tab, live_server, actors.patient_a)
    someone_elses = {"version": "someone-elses", "owner": "0" * 32, "advice": {}, "symptoms": [],
                     "urgent_line": {"name": "Someone else's line", "phone": "0161 496 0999", "link": None}}
    answered = []

    def answer_as_someone_else(route):
        route.fulfill(json=someone_elses)
        answered.append(route)

    page.route("**/my-care/symptom-rules", answer_as_someone_else)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    kept_version = "async () => (await (await import('/static/js/offline-store.js')).keptSymptomRules()).version"
    for _ in range(10):  # keeping is asynchronous: give a wrong keep time to happen
        page.wait_for_timeout(200)  # lets Playwright answer the route meanwhile
        assert page.evaluate(kept_version) != "someone-elses"
    assert answered, "the rules were not fetched anew on coming back online"
