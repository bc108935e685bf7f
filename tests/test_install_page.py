"""The "Add to home screen" page (main.install): steps for each platform, the iPhone's rule for
notifications, reached from the account page. Its script is tested in tests/e2e/test_install.py."""
from __future__ import annotations

import re

from tests.helpers import page, sign_in_as


def test_the_page_gives_steps_for_iphone_android_and_computers(patient):
    body = page(patient.get("/my-care/install"))
    assert "Add the app to your home screen" in body
    for heading in ("iPhone or iPad", "Android phone or tablet", "Computer"):
        assert f">{heading}</h2>" in body
    for step in ("Add to Home Screen", "Add to Home screen", "Install app", "Install this site as an app"):
        assert step in body


def test_it_says_plainly_that_an_iphone_needs_the_app_on_the_home_screen_for_notifications(patient):
    body = page(patient.get("/my-care/install"))
    assert "notifications only work once the app is on your Home Screen" in body


def test_the_install_button_and_the_already_installed_message_wait_for_the_script(patient):
    raw = patient.get("/my-care/install").get_data(as_text=True)
    assert re.search(r'<script type="module" src="/static/js/install\.[0-9a-f]{12}\.js" nonce="[^"]+"></script>', raw)
    for part in ("data-install-offer", "data-install-standalone", "data-install-done"):
        assert re.search(part + r"\s+hidden>", raw), part


def test_the_page_keeps_the_route_to_urgent_help(patient):
    # Reminders are never the way to urgent help.
    raw = patient.get("/my-care/install").get_data(as_text=True)
    assert 'href="tel:999"' in raw


def test_a_patients_account_page_links_to_it_and_a_nurses_does_not(new_client, actors):
    patient, nurse = new_client(), new_client()
    sign_in_as(patient, actors.patient_a)
    sign_in_as(nurse, actors.nurse_a)
    assert 'href="/my-care/install"' in patient.get("/account/passkeys").get_data(as_text=True)
    assert 'href="/my-care/install"' not in nurse.get("/account/passkeys").get_data(as_text=True)
    # Only a patient has the page (the authorisation walk checks every other role and none).
    assert nurse.get("/my-care/install").status_code == 404
