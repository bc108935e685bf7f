"""A tap on the passkey button before its script has arrived (an old phone on poor signal: the
script is imported after the page has loaded, static/js/app.js) starts the ceremony once the
script is there, instead of doing nothing and leaving the person to wonder."""
from __future__ import annotations

from tests.e2e.test_staff import seed_admin_and_teams


def test_a_tap_before_the_passkey_script_arrives_starts_the_ceremony(live_server, open_page):
    token, _ = seed_admin_and_teams(live_server.app)
    admin = open_page("desktop")
    page = admin.page
    held = []
    page.route("**/js/passkeys*.js", lambda route: held.append(route))
    admin.goto(f"/enrol/{token}", wait_until="domcontentloaded")
    admin.add_authenticator()

    page.get_by_role("button", name="Create a passkey").click()
    while not held:  # the script's request is on its way, and held here
        page.wait_for_timeout(50)
    assert page.evaluate("() => document.querySelector('[data-module=\"passkey-ceremony\"]').dataset.ready") is None
    held[0].continue_()

    page.wait_for_url("**/admin/")
    assert len(admin.authenticator_credentials()) == 1
