"""Installing the app, and the page that says how. Chromium's own checks pass on the manifest and service worker the pages
link to (the DevTools protocol's Page.getAppManifest and Page.getInstallabilityErrors). The test
server is on localhost, which Chromium treats as secure, as it would treat https."""
from __future__ import annotations

from contextlib import contextmanager

from playwright.sync_api import expect

from app.extensions import db
from app.models import User
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Tab, sign_in_browser
from tests.e2e.test_accessibility import seed
from tests.e2e.test_patient_home import HEADER_ONE_ROW_EACH_PX, HEADER_ROWS, SMALL_PHONE


@contextmanager
def ordinary_browser(browser, live_server, profile_dir, app_path=None, **options):
    """A Chromium with an ordinary profile of its own. Chromium never offers to install from a
    private window, and every context the shared browser opens is one (installability error
    "in-incognito"). With `app_path`, it opens that page as an installed app does, in a window
    of its own (`--app`), where the page's display mode is standalone. (Playwright's is_mobile
    emulation replaces that window with a tab, so an app window gets a phone's width only.)"""
    args = CHROMIUM_ARGS + ([f"--app={live_server.url}{app_path}"] if app_path else [])
    context = browser.browser_type.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, args=args, locale="en-GB", base_url=live_server.url,
        service_workers="allow", **options,
    )
    try:
        if app_path:
            # The app window may still be opening when the launch returns.
            page = next((p for p in context.pages if p.url.startswith(live_server.url)), None)
            page = page or context.wait_for_event("page", lambda p: p.url.startswith(live_server.url))
        else:
            page = context.pages[0] if context.pages else context.new_page()
        yield Tab(page=page, context=context, base_url=live_server.url)
    finally:
        context.close()


def test_chromium_finds_the_app_installable_and_its_manifest_valid(live_server, browser, tmp_path):
    with ordinary_browser(browser, live_server, tmp_path / "profile", **PHONE) as tab:
        page = tab.page
        tab.goto("/")
        # As on a phone, the service worker controls the page before the app counts as installable.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        cdp = tab.context.new_cdp_session(page)

        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == live_server.url + "/manifest.webmanifest"
        assert manifest["errors"] == []
        parsed = manifest["manifest"]
        assert parsed["name"] == "Manage your cancer care"
        # Chromium's own parse of it (its enum names, e.g. kStandalone): what it understood.
        assert parsed["display"].lower().endswith("standalone")
        assert parsed["startUrl"] == parsed["scope"] == live_server.url + "/"
        assert len(parsed["icons"]) == 4
        assert sorted(shot["formFactor"].lower() for shot in parsed["screenshots"]) == ["knarrow", "kwide"]

        installability = cdp.send("Page.getInstallabilityErrors")
        assert installability["installabilityErrors"] == []
        tab.assert_clean()


def test_installed_on_a_360_px_phone_the_header_keeps_one_row_each_and_the_page_says_it_is_installed(
        live_server, browser, tmp_path):
    ids = seed(live_server.app)
    with live_server.app.app_context():
        # A long name is the hardest case for the account box.
        db.session.get(User, ids["patient"]).display_name = "Margaret Okafor-Featherstonehaugh Williamson"
        db.session.commit()
    with ordinary_browser(browser, live_server, tmp_path / "profile", app_path="/offline",
                          viewport=SMALL_PHONE) as tab:
        page = tab.page
        assert page.evaluate("() => matchMedia('(display-mode: standalone)').matches") is True
        sign_in_browser(tab, live_server, ids["patient"])
        tab.goto("/my-care")
        rows = page.evaluate(HEADER_ROWS)
        assert len(set(rows["account"])) == 1, rows
        assert len(rows["menu"]) >= 2 and len(set(rows["menu"])) == 1, rows
        assert rows["header"] <= HEADER_ONE_ROW_EACH_PX, rows

        tab.goto("/my-care/install")
        expect(page.get_by_text("You are using the app from your home screen already")).to_be_visible()
        expect(page.get_by_role("button", name="Install the app")).to_be_hidden()
        tab.axe("add to home screen, opened from the home screen")


# Chromium fires the real `beforeinstallprompt` only once its engagement rules are met, which a
# test cannot earn on demand; this event has the real one's shape (cancelable, prompt(),
# userChoice), so the page's own script is what is tested.
OFFER_INSTALL = """() => {
  const event = new Event('beforeinstallprompt', { cancelable: true })
  window.installPrompted = 0
  event.prompt = () => { window.installPrompted += 1; return Promise.resolve() }
  event.userChoice = Promise.resolve({ outcome: 'accepted', platform: 'web' })
  window.dispatchEvent(event)
  return event.defaultPrevented
}"""


def test_the_install_page_gives_every_platforms_steps_and_offers_the_browsers_own_install(live_server, open_page, actors):
    tab = open_page("phone")
    page = tab.page
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/account/passkeys")
    page.get_by_role("link", name="Add the app to your home screen").click()
    page.wait_for_url("**/my-care/install")
    for heading in ("iPhone or iPad", "Android phone or tablet", "Computer"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("notifications only work once the app is on your Home Screen")).to_be_visible()
    install = page.get_by_role("button", name="Install the app")
    expect(install).to_be_hidden()
    tab.axe("add to home screen")

    # The page keeps the browser's offer for its button instead of letting it pop up.
    assert page.evaluate(OFFER_INSTALL) is True
    expect(install).to_be_visible()
    tab.axe("add to home screen, the browser can install")
    install.click()
    expect(page.get_by_text("The app has been added")).to_be_visible()
    expect(install).to_be_hidden()
    assert page.evaluate("() => window.installPrompted") == 1
    tab.axe("add to home screen, installed")

    # Opened from an iPhone's home screen: nothing to do. Safari says so with navigator.standalone
    # (the display mode, which Chromium has, is tested above in a real app window).
    tab.context.add_init_script("Object.defineProperty(Navigator.prototype, 'standalone', {get: () => true})")
    tab.goto("/my-care/install")
    expect(page.get_by_text("You are using the app from your home screen already")).to_be_visible()
    page.evaluate(OFFER_INSTALL)
    expect(install).to_be_hidden()
