"""The patient's home and menu on a small phone (360 x 640, the narrowest in common use)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.followup.models import SurveillanceTest
from app.hna import service as hna_service
from app.hna.models import PathwayPoint
from app.models import PatientProfile, User
from app.timeutil import london_today
from tests.e2e.conftest import sign_in_browser
from tests.e2e.test_accessibility import seed

SMALL_PHONE = {"width": 360, "height": 640}
# The header at 360 px with one row each for the logo, the account box and the menu measures
# about 173 px; a second row in any of them adds at least 40 px.
HEADER_ONE_ROW_EACH_PX = 190

HEADER_ROWS = """() => {
  const tops = (selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => Math.round(el.getBoundingClientRect().top))
  return {
    header: document.querySelector('header.nhsuk-header').getBoundingClientRect().height,
    account: tops('.nhsuk-header__account-item'),
    menu: tops('.nhsuk-header__navigation-list > li'),
  }
}"""


def test_the_header_keeps_to_one_row_each_and_the_menu_reaches_every_patient_page(live_server, open_page):
    ids = seed(live_server.app)
    with live_server.app.app_context():
        # A long name is the hardest case for the account box.
        db.session.get(User, ids["patient"]).display_name = "Margaret Okafor-Featherstonehaugh Williamson"
        db.session.commit()
    tab = open_page("phone")
    page = tab.page
    page.set_viewport_size(SMALL_PHONE)
    sign_in_browser(tab, live_server, ids["patient"])

    tab.goto("/my-care")
    rows = page.evaluate(HEADER_ROWS)
    assert len(set(rows["account"])) == 1, rows
    assert len(rows["menu"]) >= 2 and len(set(rows["menu"])) == 1, rows
    assert rows["header"] <= HEADER_ONE_ROW_EACH_PX, rows
    assert page.get_by_role("button", name="Sign out").is_visible()

    # Entries that do not fit go under "More" (the design system's header menu).
    page.get_by_role("button", name="More").click()
    tab.axe("patient home, menu open")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contacts").click()
    page.wait_for_url("**/my-care/contacts")
    rows = page.evaluate(HEADER_ROWS)
    assert rows["header"] <= HEADER_ONE_ROW_EACH_PX, rows
    tab.axe("contacts at 360 px")


@pytest.mark.hazard("HAZ-002")  # the urgent-help box, with the number to call, stays on the first screen
def test_the_first_screen_says_what_to_do_now_and_keeps_feeling_unwell_on_it(live_server, open_page):
    ids = seed(live_server.app)
    today = london_today()
    with live_server.app.app_context():
        profile = db.session.get(PatientProfile, ids["profile"])
        # A busy day: an offer, a test overdue and two due soon.
        hna_service.offer(profile, db.session.get(User, ids["nurse"]), PathwayPoint.AFTER_TREATMENT)
        db.session.add_all([
            SurveillanceTest(patient_id=profile.id, name=name, interval_months=6, next_due=today + timedelta(days=days),
                             arranged_by="Your GP practice")
            for name, days in (("PSA blood test", -5), ("CT scan", 12), ("Mammogram", 20))
        ])
        db.session.commit()
    tab = open_page("phone")
    page = tab.page
    page.set_viewport_size(SMALL_PHONE)
    sign_in_browser(tab, live_server, ids["patient"])

    tab.goto("/my-care")
    first = page.locator("[data-things-to-do] li").first
    assert first.get_by_role("link").inner_text() == "PSA blood test: arrange it now"
    first_box = first.bounding_box()
    unwell_heading = page.locator("#feeling-unwell").get_by_role("heading", name="Feeling unwell?").bounding_box()
    # Nothing above the list but the header and the greeting; both within the first screen.
    assert first_box["y"] + first_box["height"] <= SMALL_PHONE["height"], first_box
    assert unwell_heading["y"] + unwell_heading["height"] <= SMALL_PHONE["height"], unwell_heading
    assert first_box["y"] < unwell_heading["y"]
    tab.axe("patient home with things to do at 360 px")


LAYOUT_SHIFTS = """() => {
  window.layoutShifts = []
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.layoutShifts.push(entry.value)
  }).observe({ type: 'layout-shift', buffered: true })
}"""


def test_nothing_moves_when_the_pages_script_arrives_late(live_server, open_page):
    """The header is laid out for JavaScript before the page is first drawn. On a slow phone the
    page was drawn with the no-JavaScript menu (wrapping onto a second row) and then, when app.js
    ran, everything below jumped up (Lighthouse: layout shift 0.114 on every patient page)."""
    ids = seed(live_server.app)
    tab = open_page("phone")
    page = tab.page
    page.set_viewport_size(SMALL_PHONE)
    sign_in_browser(tab, live_server, ids["patient"])
    page.add_init_script(f"({LAYOUT_SHIFTS})()")

    # app.js held back until the page has been drawn, as on a slow phone.
    def late(route):
        page.wait_for_timeout(600)
        route.continue_()

    page.route(re.compile(r"/static/js/app\.[0-9a-f]+\.js$"), late)
    tab.goto("/my-care")
    page.wait_for_function("() => document.body.classList.contains('js-enabled') && "
                           "document.querySelector('.nhsuk-header__menu-toggle:not([hidden])') !== null")
    page.wait_for_timeout(200)
    assert sum(page.evaluate("window.layoutShifts")) < 0.01
