"""Installing the app, and the page that says how. Chromium's own checks pass on the manifest and service worker the pages
link to (the DevTools protocol's Page.getAppManifest and Page.getInstallabilityErrors). The test
server is on localhost, which Chromium treats as secure, as it would treat https."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Tab, sign_in_browser


def test_chromium_finds_the_app_installable_and_its_manifest_valid(live_server, browser, tmp_path):
    # Chromium never offers to install from a private window, and every context the shared
    # browser opens is one (installability error "in-incognito"), so this test has a browser
    # with an ordinary profile of its own.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE,
        locale="en-GB", base_url=live_server.url, service_workers="allow",
    )
    try:
        tab = Tab(page=context.pages[0] if context.pages else context.new_page(), context=context,
                  base_url=live_server.url)
        page = tab.page
        tab.goto("/")
        # As on a phone, the service worker controls the page before the app counts as installable.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        cdp = context.new_cdp_session(page)

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
    finally:
        context.close()


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

    # Opened from the home screen: nothing to do. Safari says so with navigator.standalone
    # (Chromium cannot emulate the display-mode media feature, the other way the script checks).
    tab.context.add_init_script("Object.defineProperty(Navigator.prototype, 'standalone', {get: () => true})")
    tab.goto("/my-care/install")
    expect(page.get_by_text("You are using the app from your home screen already")).to_be_visible()
    page.evaluate(OFFER_INSTALL)
    expect(install).to_be_hidden()
