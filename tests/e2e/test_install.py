"""Installing the app: Chromium's own checks pass on the manifest and service worker the pages
link to (the DevTools protocol's Page.getAppManifest and Page.getInstallabilityErrors). The test
server is on localhost, which Chromium treats as secure, as it would treat https."""
from __future__ import annotations

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Tab


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
