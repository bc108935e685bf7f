"""In the browser: a nurse edits a patient and offers a needs assessment; an admin sets the
team's contacts; the patient, on a phone, sees the offer and their contacts. axe on each page."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.hna.models import HNA, PathwayPoint
from app.models import PatientProfile, Role, Team, User
from tests.e2e.conftest import sign_in_browser
from tests.helpers import make_patient


def seed(app) -> dict[str, int]:
    with app.app_context():
        team = Team(name="Breast Cancer Nurses", phone="020 7946 0123", hours="Monday to Friday, 9am to 5pm",
                    out_of_hours_name="Acute oncology 24-hour line", out_of_hours_phone="020 7946 0999")
        nurse = User(role=Role.NURSE, display_name="Sam Taylor", email="sam@example.test", team=team)
        colleague = User(role=Role.NURSE, display_name="Alex Morgan", email="alex@example.test", team=team)
        admin = User(role=Role.ADMIN, display_name="Jo Admin", email="jo@example.test")
        db.session.add_all([team, nurse, colleague, admin])
        patient = make_patient(team, "Margaret", "Okafor", nurse, gp_practice_name="Riverside Medical Practice")
        db.session.commit()
        return {"team": team.id, "nurse": nurse.id, "colleague": colleague.id, "admin": admin.id, "patient": patient.user_id,
                "profile": patient.id}


def test_a_nurse_edits_a_patient_and_offers_a_needs_assessment(live_server, open_page):
    ids = seed(live_server.app)
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, ids["nurse"])

    nurse.goto(f"/nurse/patients/{ids['profile']}")
    page.get_by_role("heading", name="Margaret Okafor").wait_for()
    assert "Acute oncology 24-hour line: 020 7946 0999" in page.inner_text("main")
    nurse.axe("patient hub")

    page.get_by_role("link", name="Change key worker").click()
    page.wait_for_url(f"**/nurse/patients/{ids['profile']}/edit#key_worker_id")
    nurse.axe("edit patient")
    page.get_by_label("First name").fill("")
    page.get_by_label("Mobile phone number (optional)").fill("07700 900 314")
    page.get_by_role("button", name="Save changes").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert "Enter the patient's first name" in page.locator(".nhsuk-error-summary").inner_text()
    assert page.get_by_label("Mobile phone number (optional)").input_value() == "07700 900 314"
    nurse.axe("edit patient with an error")

    page.get_by_label("First name").fill("Maggie")
    page.get_by_label("Key worker").select_option(label="Alex Morgan")
    page.get_by_label("Tumour pathway").select_option(label="Lung")

    # Meanwhile a colleague saves a new GP phone number: nothing is overwritten, nothing lost.
    colleague = open_page("desktop")
    sign_in_browser(colleague, live_server, ids["colleague"])
    colleague.goto(f"/nurse/patients/{ids['profile']}/edit")
    colleague.page.get_by_label("GP practice phone number (optional)").fill("020 7946 0777")
    colleague.page.get_by_role("button", name="Save changes").click()
    colleague.page.wait_for_url(f"**/nurse/patients/{ids['profile']}")
    nurse.allow_console(r"status of 409")  # the conflict page is a 409, as it should be
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Someone else saved changes while you were editing").wait_for()
    assert "Alex Morgan changed GP practice phone number" in page.inner_text("main")
    assert page.get_by_label("First name").input_value() == "Maggie"
    nurse.axe("edit patient after a colleague saved")

    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/nurse/patients/{ids['profile']}")
    page.get_by_text("Maggie Okafor's details are saved.").wait_for()
    assert "Alex Morgan" in page.inner_text("main")
    nurse.axe("patient hub after saving")

    page.get_by_role("button", name="Offer a needs assessment").click()
    page.wait_for_url("**/offer-hna")
    nurse.axe("offer a needs assessment")
    page.get_by_role("button", name="Offer needs assessment").click()
    page.locator(".nhsuk-error-summary").wait_for()
    nurse.axe("offer a needs assessment, nothing chosen")
    page.get_by_label("End of treatment").check()
    page.get_by_role("button", name="Offer needs assessment").click()
    page.wait_for_url(f"**/nurse/patients/{ids['profile']}")
    page.get_by_text("Needs assessment offered.").wait_for()
    assert "Sam Taylor offered a needs assessment on" in page.inner_text("main")
    nurse.axe("patient hub after offering")

    with live_server.app.app_context():
        hna = db.session.scalar(select(HNA))
        assert (hna.offered_by_id, hna.pathway_point) == (ids["nurse"], PathwayPoint.END_OF_TREATMENT)
        saved = db.session.get(PatientProfile, ids["profile"])
        assert (saved.phone, saved.gp_practice_phone, saved.key_worker_id, saved.tumour_pathway) == (
            "07700 900 314", "020 7946 0777", ids["colleague"], "lung")

    # The patient, on their phone, sees the offer and their contacts.
    patient = open_page("phone")
    phone = patient.page
    sign_in_browser(patient, live_server, ids["patient"])
    patient.goto("/my-care")
    phone.get_by_role("heading", name="Your care team has asked you to fill in a needs assessment").wait_for()
    assert "Sam Taylor asked you on" in phone.inner_text("main")
    patient.axe("patient home with an offer")
    phone.get_by_role("link", name="All your contacts, including your GP and out of hours").click()
    phone.wait_for_url("**/my-care/contacts")
    phone.get_by_role("heading", name="Your contacts", exact=True).wait_for()
    assert phone.get_by_role("link", name="020 7946 0999").first.get_attribute("href") == "tel:02079460999"
    assert phone.get_by_role("link", name="999", exact=True).first.get_attribute("href") == "tel:999"
    patient.axe("patient contacts")
    phone.get_by_role("link", name="Back to your care").click()
    phone.get_by_role("button", name="Start the assessment Sam Taylor asked you to do").click()
    phone.wait_for_url("**/hna")
    phone.get_by_role("button", name="Start the assessment Sam Taylor asked you to do").wait_for()
    assert "Continue where you left off" not in phone.inner_text("main")
    patient.axe("needs assessment start, offered and not opened")
    patient.assert_clean()


def test_an_admin_sets_the_teams_contacts(live_server, open_page):
    ids = seed(live_server.app)
    admin = open_page("desktop")
    page = admin.page
    sign_in_browser(admin, live_server, ids["admin"])
    admin.goto("/admin/teams")
    page.get_by_role("link", name="change contacts for Breast Cancer Nurses").click()
    page.wait_for_url(f"**/admin/teams/{ids['team']}")
    admin.axe("team contacts")
    page.get_by_label("Requests to come back to the team (open access)").fill("12")
    page.get_by_role("button", name="Save contacts").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert "Enter a whole number of working days from 0 to 10" in page.locator(".nhsuk-error-summary").inner_text()
    admin.axe("team contacts with an error")
    page.get_by_label("Requests to come back to the team (open access)").fill("1")
    page.get_by_label("Team phone number").fill("020 7946 0124")
    page.get_by_role("button", name="Save contacts").click()
    page.wait_for_url(f"**/admin/teams/{ids['team']}")
    page.get_by_text("Contacts for ‘Breast Cancer Nurses’ saved.").wait_for()
    admin.axe("team contacts saved")
    with live_server.app.app_context():
        team = db.session.get(Team, ids["team"])
        assert (team.phone, team.response_targets) == ("020 7946 0124", {"reentry": 1})


PHONE_SCREEN_HEIGHT = 844  # the phone viewport in conftest.PHONE


def test_on_a_phone_the_24_hour_line_is_on_the_first_screen(live_server, open_page):
    """A worried patient on a small phone finds the 24-hour line without scrolling, on their
    home page and their contacts page, even with an offer, a care plan card and more below."""
    ids = seed(live_server.app)
    with live_server.app.app_context():
        from app.hna import service

        service.offer(db.session.get(PatientProfile, ids["profile"]), db.session.get(User, ids["nurse"]),
                      PathwayPoint.DIAGNOSIS)
        db.session.commit()
    patient = open_page("phone")
    phone = patient.page
    sign_in_browser(patient, live_server, ids["patient"])
    for path, label in (("/my-care", "patient home"), ("/my-care/contacts", "patient contacts")):
        patient.goto(path)
        box = phone.locator("#feeling-unwell")
        assert "Feeling unwell?" in box.inner_text()
        line = box.get_by_role("link", name="020 7946 0999")
        assert line.get_attribute("href") == "tel:02079460999"
        top = line.bounding_box()["y"]
        assert top < PHONE_SCREEN_HEIGHT, f"{label}: the 24-hour line starts {top}px down"
        assert line.bounding_box()["height"] >= 44  # a tap target big enough on an old phone
        assert phone.get_by_role("link", name="020 7946 0999").count() == 1  # said once
        patient.axe(label + " on a phone")


def test_a_nurse_changes_only_the_tumour_pathway_on_the_edit_page(live_server, open_page):
    ids = seed(live_server.app)
    nurse = open_page("desktop")
    page = nurse.page
    sign_in_browser(nurse, live_server, ids["nurse"])
    nurse.goto(f"/nurse/patients/{ids['profile']}")
    page.get_by_role("link", name="Change tumour pathway").click()
    page.wait_for_url(f"**/nurse/patients/{ids['profile']}/edit#tumour_pathway")
    page.get_by_label("Tumour pathway").select_option(label="Colorectal (bowel)")
    nurse.axe("edit patient, pathway")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Tumour pathway changed to Colorectal (bowel).").wait_for()
    nurse.axe("patient hub after changing the pathway")
    with live_server.app.app_context():
        assert db.session.get(PatientProfile, ids["profile"]).tumour_pathway == "colorectal"


def test_an_admin_confirms_a_longer_red_flag_wait_and_a_new_24_hour_line(live_server, open_page):
    ids = seed(live_server.app)
    admin = open_page("desktop")
    page = admin.page
    sign_in_browser(admin, live_server, ids["admin"])
    admin.goto(f"/admin/teams/{ids['team']}")
    page.get_by_label("Red-flag symptoms").fill("1")
    page.get_by_label("Out-of-hours phone number").fill("020 7946 0998")
    page.get_by_role("button", name="Save contacts").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Red flags will wait more than the same working day" in summary.inner_text()
    assert "I have checked this number by calling it" in summary.inner_text()
    assert page.get_by_label("Red-flag symptoms").input_value() == "1"
    assert page.get_by_label("Out-of-hours phone number").input_value() == "020 7946 0998"
    admin.axe("team contacts, confirmations missing")
    page.get_by_label("Red flags will wait more than the same working day").check()
    page.get_by_label("I have checked this number by calling it").check()
    page.get_by_role("button", name="Save contacts").click()
    page.get_by_text("Contacts for ‘Breast Cancer Nurses’ saved.").wait_for()
    page.get_by_role("heading", name="Red flags wait more than the same working day").wait_for()
    admin.axe("team contacts, longer red-flag wait saved")
    with live_server.app.app_context():
        team = db.session.get(Team, ids["team"])
        assert (team.out_of_hours_phone, team.response_targets) == ("020 7946 0998", {"red_flag": 1})
