"""Staff in the browser: an admin creates a nurse, the nurse enrols with a passkey and sees only
their own team; the idle-timeout warning keeps or ends a session."""
from __future__ import annotations

from sqlalchemy import select, update

from app.auth import invitations
from app.extensions import db
from app.models import Role, Team, User, UserSession
from app.timeutil import utcnow
from tests.e2e.conftest import sign_in_browser
from tests.helpers import make_patient


def seed_admin_and_teams(app) -> tuple[str, int]:
    """An admin with an enrolment link (as `flask create-admin` prints), two teams with patients."""
    with app.app_context():
        ours, theirs = Team(name="Lung Cancer Nurses"), Team(name="Haematology Team")
        admin = User(role=Role.ADMIN, display_name="Jo Admin", email="jo.admin@example.test")
        db.session.add_all([ours, theirs, admin])
        make_patient(ours, "Ann", "Able")
        make_patient(ours, "Arthur", "Ames")
        other = make_patient(theirs, "Ben", "Baker")
        issued = invitations.issue(admin, None)
        db.session.commit()
        return issued.token, other.id


def test_admin_creates_nurse_who_enrols_and_sees_only_their_team(live_server, open_page):
    token, other_team_patient = seed_admin_and_teams(live_server.app)

    admin = open_page("desktop")
    page = admin.page
    admin.goto(f"/enrol/{token}")
    admin.add_authenticator()
    admin.passkey_ready()
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url("**/admin/")
    admin.axe("admin home")

    page.get_by_role("link", name="Staff accounts").click()
    page.wait_for_url("**/admin/staff")
    admin.axe("staff accounts")
    page.get_by_role("button", name="Add and create invitation").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert "Choose a team" in page.locator(".nhsuk-error-summary").inner_text()
    admin.axe("staff accounts with errors")

    page.get_by_label("Full name").fill("Sam Taylor")
    page.get_by_label("Work email address").fill("Sam.Taylor@nhs.net")
    page.get_by_label("Nurse or key worker").check()
    page.get_by_label("Team").select_option(label="Lung Cancer Nurses")
    page.get_by_role("button", name="Add and create invitation").click()
    page.get_by_role("heading", name="Invitation ready").wait_for()
    admin.axe("staff invitation")
    link = page.get_by_test_id("invitation-link").inner_text().strip()
    assert link.startswith(live_server.url + "/enrol/")

    # The nurse opens the link on their own computer and sets up a passkey.
    nurse = open_page("desktop")
    nurse_page = nurse.page
    nurse.goto(link)
    assert nurse_page.url.endswith("/enrol/passkey")
    # Staff accounts reach patient records, so there is no password alternative.
    assert nurse_page.get_by_text("create a password instead").count() == 0
    nurse.add_authenticator()
    nurse.passkey_ready()
    nurse_page.get_by_role("button", name="Create a passkey").click()
    nurse_page.wait_for_url("**/nurse/queue")
    nurse_page.get_by_role("link", name="Patients", exact=True).click()
    nurse_page.wait_for_url("**/nurse/patients")
    names = nurse_page.locator("tbody tr td:first-child").all_inner_texts()
    assert names == ["Able, Ann", "Ames, Arthur"]
    nurse.axe("nurse patient list")

    nurse_page.get_by_label("Search by name or NHS number").fill("Baker")
    nurse_page.get_by_role("button", name="Search").click()
    nurse_page.get_by_text("No patients match ‘Baker’.").wait_for()
    nurse.axe("patient search, no results")

    # Another team's patient is not found, rather than forbidden.
    nurse.allow_console(r"status of 404")
    response = nurse.goto(f"/nurse/patients/{other_team_patient}")
    assert response.status == 404
    assert nurse_page.get_by_role("heading", name="Page not found").is_visible()
    nurse.axe("page not found")

    # The admin sees the new nurse as active.
    admin.goto("/admin/staff")
    row = page.get_by_role("row").filter(has_text="Sam Taylor")
    assert "sam.taylor@nhs.net" in row.inner_text()
    assert row.get_by_role("cell", name="Active").is_visible()


def a_patient_at_home(live_server, open_page, warning: int, idle: int):
    """A patient signed in on a phone at /my-care, its idle warning due after `warning` seconds and
    the end after `idle`; the warning dialog (not waited for)."""
    live_server.configure(SESSION_WARNING_SECONDS=warning, SESSION_IDLE_SECONDS=idle)
    with live_server.app.app_context():
        team = Team(name="Breast Cancer Nurses")
        db.session.add(team)
        patient_user = make_patient(team, "Margaret", "Okafor").user
        db.session.commit()
        patient_user_id = patient_user.id
    patient = open_page("phone")
    sign_in_browser(patient, live_server, patient_user_id)
    patient.goto("/my-care")
    return patient, patient_user_id, patient.page.get_by_role("dialog", name="You're about to be signed out")


def test_idle_timeout_warning_keeps_or_ends_the_session(live_server, open_page):
    app = live_server.app
    patient, patient_user_id, dialog = a_patient_at_home(live_server, open_page, warning=2, idle=6)
    page = patient.page
    stay = dialog.get_by_role("button", name="Stay signed in")

    # The server's idle clock started when the session did, so answer promptly.
    dialog.wait_for()
    assert "in 4 seconds" in dialog.inner_text()
    # The modal dialog takes focus, so a keyboard or screen reader user lands in it.
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Stay signed in"
    with page.expect_response("**/session/keep-alive") as keep_alive:
        stay.click()
    assert keep_alive.value.ok
    dialog.wait_for(state="hidden")

    # Warned again two seconds later; Escape also keeps the session.
    dialog.wait_for()
    patient.axe("timeout warning")
    with page.expect_response("**/session/keep-alive") as keep_alive:
        page.keyboard.press("Escape")
    assert keep_alive.value.ok
    dialog.wait_for(state="hidden")
    dialog.wait_for()  # now more than 6 seconds after the page opened
    assert page.url.endswith("/my-care")
    patient.goto("/my-care")
    assert page.url.endswith("/my-care"), "the session should have been kept"

    # Doing nothing: signed out when the time is up, and told why.
    page.wait_for_url("**/sign-in?timeout=1", timeout=10_000)
    assert page.get_by_text("You were signed out because you did nothing for a while").is_visible()
    patient.axe("signed out after a timeout")

    # A session ended elsewhere (e.g. "sign out everywhere") cannot be kept alive.
    sign_in_browser(patient, live_server, patient_user_id)
    patient.goto("/my-care")
    dialog.wait_for()
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == patient_user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
    patient.allow_console(r"status of 401")  # the refused keep-alive
    stay.click()
    page.wait_for_url("**/sign-in?timeout=1")
    with app.app_context():
        assert db.session.scalar(
            select(UserSession.id).where(
                UserSession.user_id == patient_user_id, UserSession.revoked_at.is_(None)
            )
        ) is None


def test_sign_out_in_the_idle_warning_signs_out_as_the_header_button_does(live_server, open_page):
    """The warning's "Sign out" posts the header's sign-out form (it has no form of its own):
    signed out on purpose, not for being idle."""
    patient, patient_user_id, dialog = a_patient_at_home(live_server, open_page, warning=1, idle=60)
    page = patient.page
    dialog.wait_for()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Sign out").click()
    assert page.get_by_text("You have signed out. Any answers you saved are kept.").is_visible()
    with live_server.app.app_context():
        assert db.session.scalar(
            select(UserSession.id).where(UserSession.user_id == patient_user_id, UserSession.revoked_at.is_(None))
        ) is None
