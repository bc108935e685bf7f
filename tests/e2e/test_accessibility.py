"""Every other page, for each role, in its normal and error states, checked with axe-core
(WCAG 2.2 AA) in a real browser with the real CSP. The journeys in test_enrolment and
test_staff check the pages they pass through."""
from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.auth import invitations
from app.demo import demo_nhs_number
from app.extensions import db
from app.models import PasskeyCredential, Role, Team, User
from tests.e2e.conftest import sign_in_browser
from tests.helpers import make_patient


def seed(app) -> dict:
    with app.app_context():
        team = Team(name="Breast Cancer Nurses")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email="sam.taylor@nhs.net", team=team)
        admin = User(role=Role.ADMIN, display_name="Jo Admin", email="jo.admin@nhs.net")
        db.session.add_all([team, nurse, admin])
        patient = make_patient(team, "Margaret", "Okafor", nurse, gp_practice_name="Riverside Medical Practice",
                               gp_practice_phone="020 7946 0000")
        make_patient(team, "David", "Hughes", nurse)
        db.session.add(PasskeyCredential(
            user=patient.user, credential_id=secrets.token_bytes(32), public_key=b"unused",
            name="My phone", transports=["internal"],
        ))
        db.session.commit()
        return {"nurse": nurse.id, "admin": admin.id, "patient": patient.user_id, "profile": patient.id}


def test_public_pages(live_server, open_page):
    live_server.configure(DEMO_MODE=True)
    seed(live_server.app)
    tab = open_page("phone")
    page = tab.page

    tab.goto("/")
    tab.axe("start page, demo mode")
    tab.goto("/demo")
    tab.axe("demo sign-in")

    tab.goto("/sign-in/password")
    tab.axe("password sign in")
    page.get_by_role("button", name="Sign in").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("password sign in, errors")
    page.get_by_label("NHS number").fill(demo_nhs_number(31337))
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The NHS number or password is not right").first.wait_for()
    tab.axe("password sign in, wrong details")

    tab.goto("/enrol")
    page.get_by_label("Enter your invitation code").fill("ABCD-EFGH")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("We do not recognise that invitation").first.wait_for()
    tab.axe("enter your code, unknown")

    tab.allow_console(r"status of 404")
    assert tab.goto("/enrol/not-a-real-token").status == 404
    tab.axe("invitation problem")
    tab.goto("/offline")
    tab.axe("offline page")


def test_unknown_passkey_shows_an_accessible_error(live_server, open_page):
    tab = open_page("phone")
    page = tab.page
    tab.goto("/sign-in")
    tab.add_authenticator()
    # A passkey for this site that the service has never heard of (e.g. removed by its owner).
    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tab.cdp.send("WebAuthn.addCredential", {
        "authenticatorId": tab.authenticator_id,
        "credential": {
            "credentialId": base64.b64encode(secrets.token_bytes(16)).decode(),
            "isResidentCredential": True,
            "rpId": "localhost",
            "privateKey": base64.b64encode(pkcs8).decode(),
            "userHandle": base64.b64encode(secrets.token_bytes(16)).decode(),
            "signCount": 0,
        },
    })
    tab.allow_console(r"status of 400")
    tab.passkey_ready()
    page.get_by_role("button", name="Sign in with a passkey").click()
    error = page.get_by_role("alert").filter(has_text="We do not recognise that passkey")
    error.wait_for()
    # Focus moves to the message so that screen readers and keyboards find it.
    assert page.evaluate("() => document.activeElement.classList.contains('app-passkey__error')")
    assert page.get_by_role("button", name="Sign in with a passkey").is_enabled()
    tab.axe("sign in, unknown passkey")
    assert "/sign-in" in page.url


def test_sign_in_page_without_javascript_says_what_is_needed(live_server, open_page):
    tab = open_page("phone", java_script_enabled=False)
    page = tab.page
    tab.goto("/sign-in")
    assert page.get_by_text("your browser needs JavaScript turned on").is_visible()
    assert not page.get_by_role("button", name="Sign in with a passkey").is_visible()
    assert page.get_by_role("link", name="Sign in with your NHS number and password").is_visible()


def test_patient_pages(live_server, open_page):
    ids = seed(live_server.app)
    tab = open_page("phone")
    page = tab.page
    sign_in_browser(tab, live_server, ids["patient"])

    tab.goto("/my-care")
    tab.axe("patient home")
    tab.goto("/account/passkeys")
    tab.axe("how you sign in")
    page.get_by_role("link", name="Rename My phone").click()
    page.wait_for_url("**/rename")
    page.get_by_label("Rename this passkey").fill("")
    page.get_by_role("button", name="Save name").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("rename passkey, empty")
    page.get_by_label("Rename this passkey").fill("Kitchen tablet")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url("**/account/passkeys")
    page.get_by_text("Passkey renamed.").wait_for()
    tab.axe("how you sign in, after renaming")
    page.get_by_role("link", name="Remove Kitchen tablet").click()
    page.wait_for_url("**/remove")
    tab.axe("remove the only passkey")
    assert page.get_by_text("This is your only way to sign in").is_visible()


def test_enrol_with_a_password_instead(live_server, open_page):
    app = live_server.app
    with app.app_context():
        team = Team(name="Prostate Cancer Nurses")
        profile = make_patient(team, "David", "Hughes")
        issued = invitations.issue(profile.user, None)
        db.session.commit()
        code = issued.code_display
    tab = open_page("phone")
    page = tab.page
    tab.goto("/enrol")
    page.get_by_label("Enter your invitation code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no date of birth
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("date of birth, empty")
    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("1960")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="create a password instead").click()
    page.wait_for_url("**/enrol/password")
    tab.axe("create a password")
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Type the password again").fill("different")
    page.get_by_role("button", name="Create password").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("create a password, errors")
    page.get_by_label("Create a password").fill("kettle purple garden")
    page.get_by_label("Type the password again").fill("kettle purple garden")
    page.get_by_role("button", name="Create password").click()
    page.wait_for_url("**/my-care")
    page.get_by_role("heading", name="Hello David").wait_for()


def test_nurse_pages(live_server, open_page):
    ids = seed(live_server.app)
    tab = open_page("desktop")
    page = tab.page
    sign_in_browser(tab, live_server, ids["nurse"])

    tab.goto("/nurse/patients")
    tab.axe("patient list")
    tab.goto("/nurse/patients?q=okafor")
    tab.axe("patient search")
    page.get_by_role("link", name="Okafor, Margaret").click()
    page.get_by_role("heading", name="Margaret Okafor").wait_for()
    tab.axe("patient record")
    page.get_by_role("button", name="Create a new invitation").click()
    page.get_by_role("heading", name="Invitation ready").wait_for()
    tab.axe("new invitation")
    tab.goto("/account/passkeys")
    tab.axe("staff: how you sign in")


def test_admin_pages(live_server, open_page):
    ids = seed(live_server.app)
    tab = open_page("desktop")
    page = tab.page
    sign_in_browser(tab, live_server, ids["admin"])

    tab.goto("/admin/")
    tab.axe("admin home")
    tab.goto("/admin/teams")
    tab.axe("teams")
    page.get_by_role("button", name="Add team").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("teams, empty name")
    page.get_by_label("Team name").fill("Lung Cancer Nurses")
    page.get_by_role("button", name="Add team").click()
    page.get_by_text("Team ‘Lung Cancer Nurses’ created.").wait_for()
    tab.axe("teams, after adding")
    tab.goto(f"/admin/users/{ids['nurse']}")
    tab.axe("staff member")
    page.get_by_role("button", name="Sign out of every device").click()
    page.get_by_text("Signed Sam Taylor out of").wait_for()
    tab.axe("staff member, signed out")
    tab.goto("/admin/audit")
    tab.axe("audit log")
    page.get_by_label("Who did it (name or email)").fill("Sam")
    page.locator("#from_date-day").fill("31")
    page.locator("#from_date-month").fill("2")
    page.locator("#from_date-year").fill("2026")
    page.get_by_role("button", name="Filter").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("audit log, a date that does not exist")
    tab.goto(f"/admin/users/{ids['patient']}/team")
    tab.axe("move to another team")
    page.get_by_label("Lung Cancer Nurses").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("These move to Lung Cancer Nurses").wait_for()
    tab.axe("check the move")
    page.get_by_role("button", name="Move to Lung Cancer Nurses").click()
    page.get_by_text("Margaret Okafor moved from").wait_for()
    tab.goto("/admin/questionnaires")
    tab.axe("questionnaire versions")
    page.get_by_role("button", name="Check and publish").click()
    page.locator(".nhsuk-error-summary").wait_for()
    tab.axe("questionnaire versions, nothing pasted")
    with live_server.app.app_context():
        assert db.session.scalar(select(Team.id).where(Team.name == "Lung Cancer Nurses"))
