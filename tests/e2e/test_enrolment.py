"""The whole journey: a nurse adds a patient, the patient enrols on their phone with a passkey,
signs out and signs in again. Every page on the way is checked with axe-core."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth import invitations
from app.demo import demo_nhs_number
from app.extensions import db
from app.models import PasskeyCredential, PatientProfile, Role, Team, User
from tests.e2e.conftest import credential_id_bytes

SCREENSHOTS = "/tmp"


def invite_nurse(app) -> str:
    """A nurse in a team, with a staff invitation link as an admin would give them."""
    with app.app_context():
        team = Team(name="Breast Cancer Nurses")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email="sam.taylor@example.test", team=team)
        db.session.add_all([team, nurse])
        issued = invitations.issue(nurse, None)
        db.session.commit()
        return issued.token


def test_nurse_adds_patient_who_enrols_with_a_passkey_and_signs_in_again(live_server, open_page):
    app = live_server.app
    token = invite_nurse(app)

    # The nurse sets up their own passkey from the staff invitation link.
    nurse = open_page("desktop")
    nurse.goto(f"/enrol/{token}")
    page = nurse.page
    assert page.url.endswith("/enrol/passkey")
    nurse.axe("staff passkey page")
    nurse.add_authenticator()
    page.get_by_label("Give this passkey a name (optional)").fill("Work laptop")
    nurse.passkey_ready()
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url("**/nurse/queue")
    nurse.axe("nurse queue, empty")
    page.get_by_role("link", name="Patients", exact=True).click()
    page.wait_for_url("**/nurse/patients")
    assert page.get_by_text("Your team has no patients yet.").is_visible()
    nurse.axe("nurse patient list, empty")

    # Adds a patient: first with mistakes, then properly.
    page.get_by_role("button", name="Add a patient").click()
    page.wait_for_url("**/nurse/patients/new")
    nurse.axe("new patient form")
    page.get_by_role("button", name="Add patient and create invitation").click()
    page.wait_for_load_state()
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    assert "Enter the patient's first name" in summary.inner_text()
    assert page.title().startswith("Error: ")
    nurse.axe("new patient form with errors")
    # The error summary links to the first part of the date of birth.
    page.get_by_role("link", name="Enter the patient's date of birth").click()
    assert page.evaluate("() => document.activeElement.id") == "date_of_birth-day"

    nhs_number = demo_nhs_number(4242)
    page.get_by_label("First name").fill("Priya")
    page.get_by_label("Last name").fill("Sharma")
    page.get_by_label("NHS number").fill(f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}")
    born = page.get_by_role("group", name="Date of birth")  # the form has a date of diagnosis too
    born.get_by_label("Day").fill("21")
    born.get_by_label("Month").fill("7")
    born.get_by_label("Year").fill("1974")
    page.get_by_label("Tumour pathway").select_option("colorectal")
    page.get_by_label("GP practice (optional)", exact=True).fill("Riverside Medical Practice")
    page.get_by_role("button", name="Add patient and create invitation").click()
    page.get_by_role("heading", name="Invitation ready").wait_for()
    nurse.axe("invitation page")
    assert page.locator(".app-qr svg").first.is_visible()  # the inline SVG QR code, allowed by the CSP
    # Printed, the page is the patient's letter: code, QR code and instructions, without the nurse's screen.
    page.emulate_media(media="print")
    letter = page.locator(".app-invitation-letter")
    assert letter.is_visible() and letter.locator("svg").is_visible()
    assert not page.get_by_role("heading", name="Invitation ready").is_visible()
    page.emulate_media(media="screen")
    assert not letter.is_visible()
    code = page.get_by_test_id("invitation-code").inner_text().strip()
    assert len(code) == 9 and code[4] == "-"
    with app.app_context():
        profile = db.session.scalar(select(PatientProfile).where(PatientProfile.nhs_number == nhs_number))
        assert profile.date_of_birth == date(1974, 7, 21)
        patient_user_id, handle = profile.user_id, profile.user.webauthn_user_handle

    # The patient, on their phone, starts from the front page.
    patient = open_page("phone", service_worker=True)
    patient.goto("/")
    phone = patient.page
    patient.axe("start page")
    phone.get_by_role("link", name="Enter the code from your invitation").click()
    phone.wait_for_url("**/enrol")
    patient.axe("enter your code")
    phone.get_by_label("Enter your invitation code").fill("ABC")
    phone.get_by_role("button", name="Continue").click()
    phone.locator(".nhsuk-error-message").wait_for()
    patient.axe("enter your code, with an error")
    # Typed the way people type: lower case, with the dash.
    phone.get_by_label("Enter your invitation code").fill(code.lower())
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/enrol/date-of-birth")
    patient.axe("date of birth")

    phone.get_by_label("Day").fill("22")
    phone.get_by_label("Month").fill("7")
    phone.get_by_label("Year").fill("1974")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_text("That date of birth does not match our records").first.wait_for()
    patient.axe("date of birth, wrong")
    phone.get_by_label("Day").fill("21")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/enrol/passkey")
    patient.axe("create a passkey")

    patient.add_authenticator()
    phone.get_by_label("Give this passkey a name (optional)").fill("My phone")
    patient.passkey_ready()
    phone.get_by_role("button", name="Create a passkey").click()
    phone.wait_for_url("**/my-care")
    phone.get_by_role("heading", name="Hello Priya").wait_for()
    assert phone.get_by_text("Your passkey is set up").is_visible()
    patient.axe("patient home")
    assert phone.evaluate("() => navigator.serviceWorker.ready.then(r => r.active !== null)")
    phone.screenshot(path=f"{SCREENSHOTS}/e2e-patient-home.png", full_page=True)

    on_device = patient.authenticator_credentials()
    assert len(on_device) == 1
    assert on_device[0]["rpId"] == "localhost"
    assert on_device[0]["isResidentCredential"] is True
    with app.app_context():
        stored = db.session.scalars(
            select(PasskeyCredential).where(PasskeyCredential.user_id == patient_user_id)
        ).all()
        assert [c.credential_id for c in stored] == [credential_id_bytes(on_device[0])]
        assert stored[0].name == "My phone"
        assert stored[0].last_used_at is None
    assert on_device[0]["userHandle"]  # the account's opaque handle, not a name or number
    assert credential_id_bytes({"credentialId": on_device[0]["userHandle"]}) == handle

    # Signs out, then back in with the passkey. Signing out forgets everything the phone's one
    # outbox keeps: HNA answers, symptoms, requests to be seen and answers to the team, each kept
    # once per form however often it was sent (static/js/form-outbox.js).
    kept = phone.evaluate("""async () => {
        const store = await import('/static/js/offline-store.js')
        const { entryFor } = await import('/static/js/form-outbox.js')
        const place = { owner: 'o', apiUrl: '/api', url: '/page' }
        for (const scope of ['hna', 'symptoms', 'reentry', 'messages']) {
            for (const worry of ['Back pain', 'Back pain at night']) {  // the same form sent twice
                await store.put(entryFor({ ...place, scope, data: { token: 'one-form-token-0001', worry } }))
            }
        }
        return (await store.all()).map(e => [e.scope, e.data.worry]).sort()
    }""")
    assert kept == [["hna", "Back pain at night"], ["messages", "Back pain at night"],
                    ["reentry", "Back pain at night"], ["symptoms", "Back pain at night"]]
    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url("**/sign-in")
    assert "mycc-offline" not in phone.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
    assert phone.get_by_text("You have signed out").is_visible()
    patient.axe("sign in")
    phone.screenshot(path=f"{SCREENSHOTS}/e2e-sign-in.png", full_page=True)
    patient.goto("/my-care")
    assert "/sign-in" in phone.url

    patient.passkey_ready()
    phone.get_by_role("button", name="Sign in with a passkey").click()
    phone.wait_for_url("**/my-care")
    phone.get_by_role("heading", name="Hello Priya").wait_for()
    # Home leads on to the needs assessment.
    phone.get_by_role("button", name="Tell your care team how you are").click()
    phone.get_by_role("heading", name="Tell your care team how you are").wait_for()
    with app.app_context():
        credential = db.session.scalar(
            select(PasskeyCredential).where(PasskeyCredential.user_id == patient_user_id)
        )
        assert credential.last_used_at is not None

    # Back on the nurse's screen, the patient now shows as signed up.
    nurse.goto("/nurse/patients")
    row = page.get_by_role("row", name="Sharma, Priya")
    assert row.get_by_role("cell", name="Yes").is_visible()
    nurse.axe("nurse patient list")
