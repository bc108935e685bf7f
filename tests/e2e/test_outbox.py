"""Asking to be seen and answering the team on a phone with no signal: the form waits on the
phone, encrypted, in the one outbox; the person is told plainly that the team does not have it
and whom to call meanwhile; it is sent once when the connection comes back. Pages pass axe."""
from __future__ import annotations

import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.followup.models import FollowUpPlan, FollowUpType
from app.messages.models import Message
from app.models import PatientProfile
from app.reentry.models import ReentryRequest
from app.triage.models import QueueItem
from app.triage.queue import ItemKind
from app.triage.service import raise_item
from tests.e2e.conftest import OFFLINE_NOISE, sign_in_browser, wait_until

LINE = "020 7946 0999"

KEPT = """scope => new Promise(resolve => {
  const req = indexedDB.open('mycc-offline')
  req.onsuccess = () => {
    const db = req.result
    if (!db.objectStoreNames.contains('outbox')) { db.close(); return resolve(-1) }
    const all = db.transaction('outbox').objectStore('outbox').getAll()
    // Sealed: nothing typed is readable in the store, only when and the ciphertext.
    all.onsuccess = () => { db.close(); resolve(all.result.length) }
  }
})"""


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def self_managed(app, actors):
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.team.out_of_hours_phone, profile.team.out_of_hours_name = LINE, "Acute oncology line"
        db.session.add(FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    treatment_review_date=date(2026, 6, 1), open_access_until=date(2031, 6, 1),
                                    updated_by_id=actors.nurse_a))
        db.session.commit()


def double_tap(page) -> None:
    page.evaluate("() => { const send = document.querySelector('form[data-outbox] button'); send.click(); send.click() }")


def assert_told_it_is_not_sent(page, what: str) -> None:
    waiting = page.locator('[data-outbox-state="waiting"]')
    expect(waiting).to_be_visible()
    expect(waiting).to_contain_text(f"Not sent yet: your team does not have your {what}")
    expect(waiting.locator('a[href="tel:999"]')).to_have_count(1)
    expect(waiting.locator('a[href="tel:02079460999"]')).to_have_count(1)
    expect(page.locator("form[data-outbox]")).to_be_hidden()
    # The urgent-help box stays on the page.
    expect(page.get_by_role("heading", name=re.compile("If you need help urgently"))).to_be_visible()


def patient_a_on_a_phone(open_page, live_server, actors):
    tab = open_page("phone")
    tab.allow_console(OFFLINE_NOISE)
    sign_in_browser(tab, live_server, actors.patient_a)
    return tab


def ask_to_be_seen_offline(tab, worry: str, call_on: str | None = None) -> None:
    """On the ask-to-be-seen page, with no signal, ask (by phone on `call_on`, else by message) and
    tap Send twice: the page says it is not sent."""
    page = tab.page
    page.context.set_offline(True)
    page.get_by_label("What is worrying you?").fill(worry)
    if call_on:
        page.get_by_label("A phone call").check()
        page.get_by_label("Phone number to call you on").fill(call_on)
        page.get_by_label("Mornings", exact=False).check()
    else:
        page.get_by_label("A message in this app").check()
        page.get_by_label("Any time", exact=False).check()
    double_tap(page)
    assert_told_it_is_not_sent(page, "request")


@pytest.mark.hazard("HAZ-020")
def test_a_request_made_offline_is_kept_and_sent_once_when_back_online(app, live_server, open_page, actors, self_managed):
    tab = patient_a_on_a_phone(open_page, live_server, actors)
    page = tab.page
    tab.goto("/my-care/ask-to-be-seen")
    ask_to_be_seen_offline(tab, "A new ache in my lower back for two weeks", call_on="07700 900123")
    assert page.evaluate(f"({KEPT})()") == 1
    tab.axe("a request kept on the phone, not sent")
    with app.app_context():
        assert count(ReentryRequest) == 0

    page.context.set_offline(False)
    page.wait_for_url(re.compile(r".*/my-care/requests/\d+\?sent=1$"))
    expect(page.locator("main")).to_contain_text("Your team will contact you by")
    assert page.evaluate(f"({KEPT})()") == 0
    tab.axe("request sent from the outbox")
    with app.app_context():
        (request,) = db.session.scalars(select(ReentryRequest)).all()
        assert request.worry == "A new ache in my lower back for two weeks" and request.contact_phone == "07700 900123"
        assert count(QueueItem, QueueItem.kind == ItemKind.REENTRY) == 1


@pytest.mark.hazard("HAZ-019")
def test_an_answer_written_offline_is_kept_and_sent_once_when_back_online(app, live_server, open_page, actors, self_managed):
    from app.messages import service as messages
    from app.models import User

    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        item = raise_item(profile, ItemKind.HNA_NEW, "Needs assessment: sent", "hna:test")
        thread = messages.start_thread(item, db.session.get(User, actors.nurse_a))
        db.session.flush()
        db.session.add(Message(thread_id=thread.id, author_id=actors.nurse_a, from_patient=False,
                               body="Is the pain there all the time?", sent_at=item.received_at))
        db.session.commit()
        thread_id = thread.id

    tab = patient_a_on_a_phone(open_page, live_server, actors)
    page = tab.page
    tab.goto(f"/my-care/messages/{thread_id}")

    page.context.set_offline(True)
    page.get_by_label("Your message").fill("Mostly at night")
    double_tap(page)

    assert_told_it_is_not_sent(page, "message")
    assert page.evaluate(f"({KEPT})()") == 1
    tab.axe("an answer kept on the phone, not sent")
    with app.app_context():
        assert count(Message, Message.from_patient.is_(True)) == 0

    page.context.set_offline(False)
    expect(page.locator("body")).to_contain_text("Message sent", timeout=10000)
    expect(page.locator("main")).to_contain_text("Mostly at night")
    assert page.evaluate(f"({KEPT})()") == 0
    tab.axe("answer sent from the outbox")
    with app.app_context():
        assert db.session.scalars(select(Message.body).where(Message.from_patient.is_(True))).all() == ["Mostly at night"]


@pytest.mark.hazard("HAZ-020")
def test_a_request_kept_on_the_phone_is_sent_from_whichever_page_is_open_when_back_online(
        app, live_server, open_page, actors, self_managed):
    tab = patient_a_on_a_phone(open_page, live_server, actors)
    page = tab.page
    tab.goto("/my-care/ask-to-be-seen")
    ask_to_be_seen_offline(tab, "Tired all the time since last month")

    # The signal comes back too weak to send it from this page; the person moves on.
    tried = []

    def too_weak(route):
        tried.append(route.request.headers.get("idempotency-key"))
        route.abort()

    page.route("**/ask-to-be-seen/api/send", too_weak)
    page.context.set_offline(False)
    page.wait_for_function("() => navigator.onLine")
    deadline = time.monotonic() + 10
    while not tried:
        assert time.monotonic() < deadline, "the page did not try to send the request when back online"
        page.wait_for_timeout(100)
    expect(page.locator('[data-outbox-state="waiting"]')).to_be_visible()
    page.unroute("**/ask-to-be-seen/api/send")
    assert page.evaluate(f"({KEPT})()") == 1
    with app.app_context():
        assert count(ReentryRequest) == 0

    tab.goto("/my-care")
    banner = page.locator('[data-outbox-notice="sent"]')
    expect(banner).to_contain_text("Your request to be seen, saved on this phone, has now been sent.")
    tab.axe("home, telling the person a kept request was sent")
    assert page.evaluate(f"({KEPT})()") == 0
    with app.app_context():
        (request,) = db.session.scalars(select(ReentryRequest)).all()
        assert request.worry == "Tired all the time since last month"
        assert count(QueueItem, QueueItem.kind == ItemKind.REENTRY) == 1
    banner.get_by_role("link", name="See what you sent").click()
    page.wait_for_url(re.compile(rf".*/my-care/requests/{request.id}\?sent=1$"))


@pytest.mark.hazard("HAZ-003")
def test_what_one_person_kept_on_a_shared_phone_is_never_sent_as_the_next(app, live_server, open_page, actors, self_managed):
    """The first person's session ends on the server with no chance to wipe the phone (no
    sign-out form posted), and someone else signs in on it: the request and the symptom kept for
    the first are forgotten, not sent to the second's team as theirs."""
    from app.symptoms.models import SymptomEntry

    with app.app_context():
        db.session.add(FollowUpPlan(patient_id=actors.profile_b, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                                    treatment_review_date=date(2026, 6, 1), open_access_until=date(2031, 6, 1),
                                    updated_by_id=actors.nurse_b))
        db.session.commit()
    tab = patient_a_on_a_phone(open_page, live_server, actors)
    page = tab.page
    tab.goto("/my-care/ask-to-be-seen")
    first_owner = page.locator("form[data-outbox]").get_attribute("data-outbox-owner")
    page.evaluate("""async owner => {
        const store = await import('/static/js/offline-store.js')
        const { entryFor } = await import('/static/js/form-outbox.js')
        await store.put(entryFor({ scope: 'symptoms', owner, apiUrl: '/my-care/symptoms/api/log', url: '/my-care/symptoms/new',
                                   data: { symptom: 'something_else', own_words: "Ann's rash", severity: 'mild' } }))
    }""", first_owner)
    page.route("**/api/**", lambda route: route.abort())  # nothing the first person keeps gets through
    ask_to_be_seen_offline(tab, "Ann's private worry")
    assert page.evaluate(f"({KEPT})()") == 2
    # The first person's page is closed before anything could be sent (it would be theirs to send).
    page.goto("about:blank")
    page.context.set_offline(False)
    page.unroute("**/api/**")

    sign_in_browser(tab, live_server, actors.patient_b)
    tab.goto("/my-care/ask-to-be-seen")
    expect(page.locator("form[data-outbox]")).to_be_visible()
    assert page.locator("form[data-outbox]").get_attribute("data-outbox-owner") != first_owner
    tab.goto("/my-care/symptoms/new")
    expect(page.locator("form[data-symptom-form]")).to_be_visible()
    wait_until(page, KEPT, lambda kept: kept == 0, what="for the first person's kept entries to be forgotten")
    with app.app_context():
        # Nothing at all for the second person (what the first kept was theirs alone).
        assert count(ReentryRequest, ReentryRequest.patient_id == actors.profile_b) == 0
        assert count(SymptomEntry, SymptomEntry.patient_id == actors.profile_b) == 0
