"""The offline page on a shared phone: always 999 and 111, the signed-in person's own team line,
and never the previous person's."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Team
from tests.e2e.conftest import OFFLINE_NOISE, sign_in_browser, wait_until

A_LINE = "020 7946 0999"

KEPT_LINES = """() => new Promise(resolve => {
  const req = indexedDB.open('mycc-offline')
  req.onsuccess = () => {
    const db = req.result
    if (!db.objectStoreNames.contains('person')) { db.close(); return resolve(0) }
    const count = db.transaction('person').objectStore('person').count('urgent-line')
    count.onsuccess = () => { db.close(); resolve(count.result) }
  }
  req.onerror = () => resolve(-1)
})"""


def wait_until_offline_ready(page) -> None:
    """The service worker controls the page and this person's line is kept on the phone."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    wait_until(page, KEPT_LINES, lambda kept: kept == 1, what="for the person's line to be kept")


def offline_page(tab, live_server):
    tab.context.set_offline(True)
    tab.goto("/my-care")
    page = tab.page
    expect(page.locator("h1")).to_have_text("You're offline")
    main = page.locator("main")
    expect(main.locator('a[href="tel:999"]')).to_have_count(1)
    expect(main.locator('a[href="tel:111"]').first).to_be_visible()
    return main


@pytest.mark.hazard("HAZ-002")
@pytest.mark.hazard("HAZ-003")
def test_the_offline_page_gives_the_persons_own_team_line_and_never_the_previous_persons(app, live_server, open_page, actors):
    with app.app_context():
        team_a = db.session.get(Team, actors.team_a)
        team_a.out_of_hours_name, team_a.out_of_hours_phone = "Acute oncology 24-hour line", A_LINE
        db.session.commit()
    tab = open_page("phone", service_worker=True)
    tab.allow_console(OFFLINE_NOISE)
    page = tab.page

    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/my-care")
    wait_until_offline_ready(page)
    main = offline_page(tab, live_server)
    line = main.locator("[data-urgent-line]")
    expect(line).to_contain_text(f"Acute oncology 24-hour line: call {A_LINE}, at any time of day or night")
    expect(line.locator('a[href="tel:02079460999"]')).to_have_text(A_LINE)
    tab.axe("offline page with the person's own line")

    # Signing out forgets it at once: the phone is handed on.
    tab.context.set_offline(False)
    tab.goto("/my-care")
    with page.expect_navigation():
        page.locator("form[data-sign-out]").first.evaluate("form => form.requestSubmit()")
    # Signing out also clears the site's storage and service worker (Clear-Site-Data); the next
    # page registers it again.
    tab.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    main = offline_page(tab, live_server)
    expect(main).not_to_contain_text(A_LINE)
    expect(main.locator("[data-urgent-line]")).to_contain_text("or 111 if you do not have it")

    # The next person, whose team has no 24-hour line, is told to call 111.
    tab.context.set_offline(False)
    sign_in_browser(tab, live_server, actors.patient_b)
    tab.goto("/my-care")
    wait_until_offline_ready(page)
    main = offline_page(tab, live_server)
    expect(main).not_to_contain_text(A_LINE)
    expect(main.locator('a[href="tel:02079460999"]')).to_have_count(0)
    expect(main.locator("[data-urgent-line]")).to_contain_text("or 111 if you do not have it")
