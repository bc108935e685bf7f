"""A new version of the app (a new asset build, so a new service worker) waits on the phone
until the person chooses to refresh: a half-typed form is never lost to it."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import wait_until

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
STATIC_CACHES = "async () => (await caches.keys()).filter(name => name.startsWith('mycc-static-')).sort()"
WAITING = "async () => (await navigator.serviceWorker.getRegistration()).waiting !== null"


def test_a_new_version_waits_and_the_person_refreshes_when_their_form_is_finished(app, live_server, open_page):
    tab = open_page("phone", service_worker=True)
    page = tab.page
    tab.goto("/sign-in/password")
    page.wait_for_function(CONTROLLED, timeout=30000)
    assets = app.extensions["assets"]
    old_version = assets.version
    assert page.evaluate(STATIC_CACHES) == [f"mycc-static-{old_version}"]
    notice = page.locator("[data-update-notice-banner]")
    expect(notice).to_be_hidden()

    # A new build is deployed: the served worker's version (so its bytes and caches) change.
    # Opening a page makes the browser check for it; it installs and waits.
    assets.version = "0123456789ab"
    tab.goto("/sign-in/password")
    page.fill("#nhs_number", "943 476")
    page.evaluate("() => { window.stillThisPage = true }")
    expect(notice).to_be_visible(timeout=30000)
    expect(notice).to_contain_text("A new version is ready — refresh when you have finished what you are doing")
    tab.axe("the update notice")

    # Nothing takes the page over while the person is still typing.
    page.wait_for_timeout(1000)
    assert page.evaluate(WAITING)
    assert page.evaluate("() => window.stillThisPage") is True
    expect(page.locator("#nhs_number")).to_have_value("943 476")
    page.type("#nhs_number", "5919")
    expect(page.locator("#nhs_number")).to_have_value("943 4765919")

    # They choose to refresh: the new version takes over, the page reloads, old caches go.
    with page.expect_navigation():
        page.get_by_role("button", name="Refresh now").click()
    page.wait_for_function(CONTROLLED, timeout=30000)
    assert page.evaluate("() => window.stillThisPage") is None
    wait_until(page, STATIC_CACHES, lambda caches: caches == ["mycc-static-0123456789ab"], what="for the old caches to go")
    assert not page.evaluate(WAITING)
    expect(notice).to_be_hidden()
    tab.assert_clean()
