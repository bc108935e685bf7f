"""The record a patient's phone keeps for reading with no signal (contacts, care plan, treatment
summary), and shared phones: the next person never sees the previous person's."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.followup.models import EndOfTreatmentSummary
from app.models import PatientProfile, Team, User
from app.timeutil import london_today, long_date
from tests.careplan.helpers import make_plan
from tests.e2e.conftest import OFFLINE_NOISE, sign_in_browser, wait_until

A_LINE, A_LINE_DIAL = "020 7946 0999", "tel:02079460999"
B_TEAM_PHONE = "020 7946 0555"
# The person's own free text, kept on the phone: shown as text, never run.
A_PLAN_TEXT = 'Walk every day <img src=x onerror="console.error(\'ran\')">'

# What the phone keeps, read through the page's own store module (the entries are encrypted).
KEPT = """async () => {
  const url = performance.getEntriesByType('resource').map(e => e.name).find(n => /offline-store[^/]*\\.js/.test(n))
  const store = await import(url)
  const records = await store.keptRecords()
  const line = await store.keptUrgentLine()
  return { kinds: records.map(r => r.kind), text: JSON.stringify(records) + JSON.stringify(line) }
}"""
CACHED_TEXT = """async () => {
  let text = ''
  for (const name of await caches.keys()) {
    const cache = await caches.open(name)
    for (const request of await cache.keys()) text += request.url + (await (await cache.match(request)).text())
  }
  return text
}"""


def give_a_record(app, actors) -> None:
    with app.app_context():
        team_a = db.session.get(Team, actors.team_a)
        team_a.out_of_hours_name, team_a.out_of_hours_phone = "Acute oncology 24-hour line", A_LINE
        team_a.phone = "020 7946 0123"
        db.session.get(Team, actors.team_b).phone = B_TEAM_PHONE
        profile = db.session.get(PatientProfile, actors.profile_a)
        make_plan(profile, db.session.get(User, actors.nurse_a), summary=A_PLAN_TEXT)
        db.session.add(EndOfTreatmentSummary(
            patient_id=profile.id, team_id=profile.team_id, version=1, is_current=True, created_by_id=actors.nurse_a,
            diagnosis="Breast cancer", treatments=[], red_flags_emergency="Fever of 38C or above"))
        db.session.commit()


def kept_on_the_phone(page, kinds: list[str]) -> dict:
    """Waits until the service worker controls the page and the phone keeps exactly `kinds`."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    return wait_until(page, KEPT, lambda kept: kept["kinds"] == kinds, what=f"for the phone to keep {kinds}")


@pytest.fixture
def phone_keeping_a_record(app, live_server, open_page, actors):
    """Patient A signed in on a phone that keeps their contacts, plan and summary: the tab, and
    what the phone keeps."""
    give_a_record(app, actors)
    tab = open_page("phone", service_worker=True)
    tab.allow_console(OFFLINE_NOISE)
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/my-care")
    return tab, kept_on_the_phone(tab.page, ["contacts", "plan", "summary"])


@pytest.mark.hazard("HAZ-002")
def test_the_app_opens_offline_with_the_persons_contacts_plan_and_summary_as_saved(phone_keeping_a_record):
    tab, _ = phone_keeping_a_record
    page = tab.page

    # The next page asks once with the versions kept, and nothing unchanged comes again.
    with page.expect_response(re.compile(r"/my-care/offline-record\?contacts=")) as checked:
        tab.goto("/my-care/follow-up")
    assert all("html" not in entry for entry in checked.value.json()["records"].values())

    tab.context.set_offline(True)
    tab.goto("/my-care/contacts")
    main = page.locator("main")
    expect(page.locator("h1")).to_have_text("Your contacts")
    expect(main).to_contain_text(f"This is the copy saved on this phone on {long_date(london_today())}")
    expect(main.locator("[data-offline-record-body]").locator(f'a[href="{A_LINE_DIAL}"]').first).to_have_text(A_LINE)
    expect(main.locator('a[href="tel:02079460123"]')).to_have_text("020 7946 0123")
    expect(main.locator('a[href="tel:999"]').first).to_be_visible()
    tab.axe("a kept record, offline")

    tab.goto("/my-care/plan")
    expect(page.locator("h1")).to_have_text("Your care and support plan")
    expect(main).to_contain_text(A_PLAN_TEXT)
    expect(main.locator("img")).to_have_count(0)

    # Any other page: the offline page, with everything that can be read offline.
    tab.goto("/my-care")
    expect(page.locator("h1")).to_have_text("You're offline")
    kept = main.locator("[data-offline-kept-list] li")
    expect(kept).to_have_count(3)
    expect(kept.nth(0)).to_have_text(f"Your contacts, saved on {long_date(london_today())}")
    expect(kept.nth(2).get_by_role("link", name="Your treatment summary")).to_have_attribute("href", "/my-care/treatment-summary")
    expect(main.locator(f'[data-urgent-line] a[href="{A_LINE_DIAL}"]')).to_have_text(A_LINE)
    tab.axe("the offline page listing what is kept")


@pytest.mark.hazard("HAZ-003")
@pytest.mark.hazard("HAZ-022")
def test_the_next_person_on_a_shared_phone_sees_nothing_of_the_previous_persons(live_server, actors, phone_keeping_a_record):
    tab, kept = phone_keeping_a_record
    page = tab.page
    assert A_LINE in kept["text"]

    # A signs out; B signs in on the same phone.
    with page.expect_navigation():
        page.locator("form[data-sign-out]").first.evaluate("form => form.requestSubmit()")
    sign_in_browser(tab, live_server, actors.patient_b)
    tab.goto("/my-care")
    kept = kept_on_the_phone(page, ["contacts"])
    assert B_TEAM_PHONE in kept["text"]
    for of_a in (A_LINE, "Walk every day", "Fever of 38C"):
        assert of_a not in kept["text"]
        assert of_a not in page.evaluate(CACHED_TEXT)
    tab.context.set_offline(True)
    tab.goto("/my-care/plan")
    main = page.locator("main")
    expect(page.locator("h1")).to_have_text("You're offline")
    expect(main.locator("[data-offline-kept-list] li")).to_have_count(1)
    expect(main).not_to_contain_text(A_LINE)
    expect(main).not_to_contain_text("Walk every day")

    # B's session ends on the idle timer (as if it ran out while the phone slept, nothing is
    # wiped): B's record stays readable offline until the next person's page is seen here.
    # A signs in again: nothing of B's is left.
    tab.context.set_offline(False)
    tab.goto("/my-care")
    with page.expect_navigation(url=re.compile(r"/sign-in\?timeout=1")):
        page.locator("#session-idle-sign-out").evaluate("form => form.requestSubmit()")
    tab.context.set_offline(True)
    tab.goto("/my-care/contacts")
    expect(main).to_contain_text(B_TEAM_PHONE)
    tab.context.set_offline(False)
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/my-care")
    kept = kept_on_the_phone(page, ["contacts", "plan", "summary"])
    assert B_TEAM_PHONE not in kept["text"] and A_LINE in kept["text"]
