"""The team queue in the browser: a nurse opens it, claims the red flag at the top and resolves it;
a colleague's change in between is shown, not overwritten. Every page passes axe."""
from __future__ import annotations

from app.extensions import db
from app.models import User
from app.triage import service
from app.triage.models import ItemStatus, QueueItem
from app.triage.queue import ItemKind
from tests.e2e.conftest import sign_in_browser
from tests.helpers import make_actors
from tests.triage.helpers import item, nurse


def test_nurse_claims_and_resolves_the_most_urgent_item(live_server, open_page):
    app = live_server.app
    with app.app_context():
        actors = make_actors()
        item(actors.profile_a2, ItemKind.HNA_NEW, reason="Needs assessment: distress 2 out of 10")
        red_flag = item(actors.profile_a, ItemKind.RED_FLAG, reason="Possible urgent symptom: temperature 38°C").id
        reentry = item(actors.profile_a2, ItemKind.REENTRY, reason="Worried about a new lump").id
        colleague = nurse(actors.team_a, "Nurse Two").id

    tab = open_page("desktop")
    sign_in_browser(tab, live_server, actors.nurse_a)
    page = tab.page
    tab.goto("/nurse/queue")
    tab.axe("team queue")
    first_row = page.locator("tbody tr").first
    assert "Red flag" in first_row.inner_text() and "Ann Able" in first_row.inner_text()

    first_row.get_by_role("link", name="Ann Able").click()
    page.wait_for_url(f"**/nurse/queue/{red_flag}")
    tab.axe("queue item")
    page.get_by_role("button", name="Take this item").click()
    page.get_by_text("You have this item: Ann Able").wait_for()
    page.get_by_label("Phoned the patient").check()
    page.get_by_label("Note").fill("Advised to attend A&E; 24-hour line informed")
    page.get_by_role("button", name="Resolve item").click()
    page.wait_for_url("**/nurse/queue")
    page.get_by_text("Resolved: Ann Able – phoned the patient").wait_for()
    tab.axe("queue after resolving")
    with app.app_context():
        assert db.session.get(QueueItem, red_flag).status is ItemStatus.RESOLVED

    # A colleague takes the next item while this nurse is looking at it.
    tab.goto(f"/nurse/queue/{reentry}")
    with app.app_context():
        it = db.session.get(QueueItem, reentry)
        service.claim(it, db.session.get(User, colleague), it.revision)
        db.session.commit()
    tab.allow_console(r"status of 409")
    page.get_by_label("Advice given").check()
    page.get_by_role("button", name="Resolve item").click()
    page.get_by_test_id("conflict-message").wait_for()
    assert "your change was not saved" in page.get_by_test_id("conflict-message").inner_text()
    assert page.get_by_label("Advice given").is_checked()
    tab.axe("queue item changed by someone else")
    with app.app_context():
        assert db.session.get(QueueItem, reentry).status is ItemStatus.OPEN
