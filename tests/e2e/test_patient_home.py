"""The patient's home and menu on a small phone (360 x 640, the narrowest in common use)."""
from __future__ import annotations

from app.extensions import db
from app.models import User
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
