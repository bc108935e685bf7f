"""A nurse adds patients, gives them invitations, and finds her own team's patients."""
from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
import qrcode
from sqlalchemy import func, select

from app.auth import invitations
from app.demo import demo_nhs_number
from app.extensions import db
from app.models import AuditEvent, Invitation, PatientProfile, Role, Team, User
from tests.helpers import InDays, date_fields, make_patient, sign_in_as
from tests.test_security_headers import PageParts

NEW_NHS_NUMBER = demo_nhs_number(424242)
VALID = {
    "given_name": "Nia",
    "family_name": "Newton",
    "nhs_number": f"{NEW_NHS_NUMBER[:3]} {NEW_NHS_NUMBER[3:6]} {NEW_NHS_NUMBER[6:]}",
    "date_of_birth-day": "4",
    "date_of_birth-month": "9",
    "date_of_birth-year": "1966",
    "tumour_pathway": "colorectal",
    "gp_practice_name": "Riverside Medical Practice",
    "gp_practice_phone": "020 7946 0000",
}


def add_patient(nurse, **changes):
    if "key_worker_id" not in changes:
        # As a browser sends the form: with the key worker it comes with.
        form = nurse.get("/nurse/patients/new").get_data(as_text=True)
        chosen = re.search(r'<option value="([^"]*)"\s+selected', form)
        changes["key_worker_id"] = chosen.group(1) if chosen else ""
    data = {**VALID, **changes}
    return nurse.post_form("/nurse/patients/new", {k: v for k, v in data.items() if v is not None},
                           follow_redirects=True)


def shown_in_summary_and_beside_the_field(body: str, anchor: str, message: str) -> bool:
    """The design system's error summary links to the field, and the field repeats the message."""
    in_summary = re.search(rf'<a href="#{anchor}"\s*>\s*{re.escape(message)}\s*</a>', body)
    beside_field = re.search(rf'<span class="nhsuk-u-visually-hidden">Error: </span>\s*{re.escape(message)}', body)
    return bool(in_summary and beside_field)


def page(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- adding a patient


def test_the_form_asks_for_everything_needed(nurse):
    form = page(nurse.get("/nurse/patients/new"))
    for label in ("First name", "Last name", "NHS number", "Date of birth", "Mobile phone number (optional)",
                  "Key worker", "Tumour pathway", "GP practice (optional)", "GP practice phone number (optional)",
                  "GP practice address (optional)"):
        assert label in form


def test_the_nurse_adding_a_patient_is_their_key_worker_unless_she_chooses_another(app, nurse, actors):
    with app.app_context():
        colleague = User(role=Role.NURSE, display_name="Nurse Colleague", team_id=actors.team_a, email="c@example.test")
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
    form = page(nurse.get("/nurse/patients/new"))
    assert re.search(rf'<option value="{actors.nurse_a}"\s+selected', form)
    assert "Nurse Colleague" in form and "Nurse B" not in form

    add_patient(nurse, key_worker_id=str(colleague_id), phone="07700 900 982",
                gp_practice_address="12 Mill Lane, London")

    with app.app_context():
        profile = db.session.scalar(select(PatientProfile).where(PatientProfile.nhs_number == NEW_NHS_NUMBER))
        assert (profile.key_worker_id, profile.phone, profile.gp_practice_address) == (
            colleague_id, "07700 900 982", "12 Mill Lane, London")


# The same details are checked the same way when a patient is added and when they are edited.
DETAIL_MISTAKES = [
    ({"gp_practice_phone": "not a phone"}, "Enter the GP practice phone number, like 020 7946 0000"),
    ({"gp_practice_phone": "12345"}, "Enter the GP practice phone number, like 020 7946 0000"),
    ({"gp_practice_phone": "020 7946 0000 ext 12"}, "Enter the GP practice phone number, like 020 7946 0000"),
    ({"phone": "call me"}, "Enter a phone number, like 07700 900 982"),
    ({"phone": "0999"}, "Enter a phone number, like 07700 900 982"),
    ({"phone": "0" * 41}, "Phone number must be 40 characters or fewer"),
    ({"gp_practice_address": "x" * 301}, "Address must be 300 characters or fewer"),
    ({"given_name": "N" * 101}, "First name must be 100 characters or fewer"),
    ({"tumour_pathway": "spleen"}, "Choose the patient's tumour pathway from the list"),
    ({"key_worker_id": "OTHER_TEAMS_NURSE"}, "Choose a key worker from the list, or no key worker"),
    ({"diagnosed_on-day": "31", "diagnosed_on-month": "2", "diagnosed_on-year": "2026"}, "Date of diagnosis must be a real date"),
    ({"diagnosed_on-day": "3", "diagnosed_on-year": "2026"}, "Date of diagnosis must include a month"),
    ({"diagnosed_on": InDays(1)}, "Date of diagnosis must be today or in the past"),
]


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize("where", ["add", "edit"])
@pytest.mark.parametrize(("changes", "message"), DETAIL_MISTAKES, ids=[f"{m[0]}" for m in DETAIL_MISTAKES])
def test_add_and_edit_refuse_the_same_details_with_the_same_message(app, nurse, actors, where, changes, message, today):
    from tests.nurse.test_edit_patient import form_for

    changes = {k: str(actors.nurse_b) if v == "OTHER_TEAMS_NURSE" else v for k, v in date_fields(changes, today).items()}
    if where == "add":
        response = add_patient(nurse, **changes)
    else:
        response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/edit", form_for(nurse, actors.profile_a, **changes))

    assert response.status_code == 200
    assert message in html.unescape(page(response)) and "There is a problem" in page(response)
    with app.app_context():
        assert count(PatientProfile) == 3
        assert db.session.get(PatientProfile, actors.profile_a).version == 1


MISTAKES = [
    ({"given_name": ""}, "given_name", "Enter the patient's first name"),
    ({"given_name": "N" * 101}, "given_name", "First name must be 100 characters or fewer"),
    ({"family_name": "  "}, "family_name", "Enter the patient's last name"),
    ({"nhs_number": ""}, "nhs_number", "Enter the patient's NHS number"),
    ({"nhs_number": "943 476 5918"}, "nhs_number",
     "Enter a valid NHS number. Check it on a letter from your GP or hospital"),
    ({"nhs_number": "943476591"}, "nhs_number", "NHS number must be 10 numbers"),
    ({"nhs_number": "943476591O"}, "nhs_number", "NHS number must only include numbers 0 to 9"),
    ({"date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""},
     "date_of_birth-day", "Enter the patient's date of birth"),
    ({"date_of_birth-month": ""}, "date_of_birth-day", "Date must include a month"),
    ({"date_of_birth-day": "31", "date_of_birth-month": "2"}, "date_of_birth-day", "Date must be a real date"),
    ({"date_of_birth": InDays(1)}, "date_of_birth-day", "Date of birth must be in the past"),
    ({"tumour_pathway": ""}, "tumour_pathway", "Choose the patient's tumour pathway from the list"),
    ({"tumour_pathway": "spleen"}, "tumour_pathway", "Choose the patient's tumour pathway from the list"),
    ({"gp_practice_phone": "0" * 41}, "gp_practice_phone", "Phone number must be 40 characters or fewer"),
    ({"gp_practice_phone": "not a phone"}, "gp_practice_phone", "Enter the GP practice phone number, like 020 7946 0000"),
    ({"phone": "not a phone"}, "phone", "Enter a phone number, like 07700 900 982"),
]


@pytest.mark.parametrize(("changes", "field", "message"), MISTAKES, ids=[m[2] for m in MISTAKES])
def test_each_mistake_is_explained_beside_its_field_and_in_the_summary(app, nurse, changes, field, message, today):
    response = add_patient(nurse, **date_fields(changes, today))
    body = html.unescape(page(response))
    assert response.status_code == 200
    assert "<title>Error: " in body and "There is a problem" in body
    assert shown_in_summary_and_beside_the_field(body, field, message)
    with app.app_context():
        assert count(PatientProfile) == 3  # only the seeded ones


def test_what_was_typed_is_kept_after_a_mistake(nurse):
    body = page(add_patient(nurse, nhs_number="943 476 5918"))
    assert 'value="Nia"' in body and 'value="Newton"' in body
    assert 'value="943 476 5918"' in body
    assert 'value="4"' in body and 'value="9"' in body and 'value="1966"' in body
    assert re.search(r'<option value="colorectal"\s+selected', body)
    assert 'value="Riverside Medical Practice"' in body


@pytest.mark.parametrize("nhs_number_of", ["profile_a", "profile_b"], ids=["own team", "another team"])
def test_an_nhs_number_already_registered_is_refused(app, nurse, actors, nhs_number_of):
    with app.app_context():
        db.session.get(PatientProfile, getattr(actors, nhs_number_of)).nhs_number = NEW_NHS_NUMBER
        db.session.commit()
    body = page(add_patient(nurse))
    assert "A patient with this NHS number is already registered" in body
    assert "Ben Baker" not in body  # nothing about who has it
    with app.app_context():
        assert count(PatientProfile) == 3


def test_a_new_patient_joins_the_nurses_team_with_her_as_key_worker(app, nurse, actors):
    assert add_patient(nurse).status_code == 200
    with app.app_context():
        profile = db.session.scalar(select(PatientProfile).where(PatientProfile.nhs_number == NEW_NHS_NUMBER))
        assert (profile.given_name, profile.family_name, profile.date_of_birth) == ("Nia", "Newton", date(1966, 9, 4))
        assert (profile.team_id, profile.key_worker_id, profile.tumour_pathway) == (actors.team_a, actors.nurse_a, "colorectal")
        assert profile.user.role.value == "patient" and profile.user.team_id == actors.team_a
        assert profile.diagnosed_on is None  # optional


def test_a_new_patient_can_have_a_date_of_diagnosis(app, nurse):
    add_patient(nurse, **{"diagnosed_on-day": "3", "diagnosed_on-month": "2", "diagnosed_on-year": "2026"})
    with app.app_context():
        profile = db.session.scalar(select(PatientProfile).where(PatientProfile.nhs_number == NEW_NHS_NUMBER))
        assert profile.diagnosed_on == date(2026, 2, 3)


def test_adding_a_patient_is_audited(app, nurse, actors):
    add_patient(nurse)
    with app.app_context():
        profile_id = db.session.scalar(select(PatientProfile.id).where(PatientProfile.nhs_number == NEW_NHS_NUMBER))
        assert [(e.actor_id, e.patient_id) for e in events("patient.create")] == [(actors.nurse_a, profile_id)]
        assert [(e.actor_id, e.patient_id) for e in events("invitation.issue")] == [(actors.nurse_a, profile_id)]


def test_staff_without_a_team_cannot_add_patients(app, client, actors):
    sign_in_as(client, actors.admin)  # the seeded admin belongs to no team
    body = page(add_patient(client))
    assert "You need to belong to a team to add patients" in body
    with app.app_context():
        assert count(PatientProfile) == 3


# ---------------------------------------------------------------- the invitation


def invitation_parts(body: str) -> dict:
    return {
        "code": re.search(r'data-testid="invitation-code">([^<]+)<', body).group(1),
        "link": html.unescape(re.search(r'data-testid="invitation-link">([^<]+)<', body).group(1)),
        "qr": re.findall(r'<svg\b[^>]*class="app-qr__code".*?</svg>', body, re.S),
    }


def test_the_invitation_shows_a_code_a_link_and_a_qr_code_that_opens_the_link(nurse):
    parts = invitation_parts(page(add_patient(nurse)))
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", parts["code"])
    assert re.fullmatch(r"http://localhost/enrol/[A-Za-z0-9_-]{40,}", parts["link"])
    # Inline SVG, on the screen and in the letter, drawing exactly the link's QR modules.
    assert parts["qr"] == [invitations.qr_svg(parts["link"])] * 2
    assert dark_modules(parts["qr"][0]) == dark_modules_of(parts["link"])


def dark_modules(svg: str) -> set[tuple[int, int]]:
    path = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", path)}


def dark_modules_of(text: str) -> set[tuple[int, int]]:
    code = qrcode.QRCode(border=invitations.QR_QUIET_ZONE)
    code.add_data(text)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


@pytest.mark.parametrize("text", ["http://localhost/enrol/abc", "https://example.nhs.uk/enrol/" + "x" * 43])
def test_the_qr_code_is_plain_svg_that_the_content_security_policy_allows(text):
    svg = invitations.qr_svg(text)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style" not in svg and "<script" not in svg and "href" not in svg
    assert 'role="img"' in svg and "aria-label=" in svg
    assert dark_modules(svg) == dark_modules_of(text)


def test_the_invitation_page_prints_a_letter_in_plain_english(app, nurse, actors):
    with app.app_context():
        db.session.get(Team, actors.team_a).phone = "020 7946 0123"
        db.session.commit()
    body = page(add_patient(nurse))
    code = invitation_parts(body)["code"]

    letter = re.search(r'<section class="app-invitation-letter"[^>]*>(.*?)</section>', body, re.S).group(1)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", letter)).split())
    assert "Nia Newton" in words
    assert f"type this code: {code}" in words
    assert "http://localhost/enrol" in words and "scan the QR code" in words
    assert "confirm your date of birth" in words
    assert "until " in words and "ask your cancer team for a new invitation" in words
    assert "020 7946 0123" in words
    assert "<svg" in letter
    assert 'data-print' in body and "Print the invitation letter" in body
    parts = PageParts()
    parts.feed(body)
    assert parts.style_attributes == [] and not parts.inline_script_text  # the strict CSP holds
    assert re.search(r'<link rel="stylesheet" href="/static/css/print\.[0-9a-f]{12}\.css" media="print">', body)


def test_the_code_and_link_never_sit_readable_in_the_nurses_cookie(app, nurse):
    response = nurse.post_form("/nurse/patients/new", VALID)
    assert response.location.endswith("/invitation")
    cookie = nurse.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    with app.test_request_context():
        stored = json.dumps(app.session_interface.get_signing_serializer(app).loads(cookie))

    parts = invitation_parts(page(nurse.get(response.location)))

    assert parts["code"] not in stored and parts["code"].replace("-", "") not in stored
    assert parts["link"].rsplit("/", 1)[1] not in stored


def test_the_invitation_link_works_and_only_hashes_are_kept(app, nurse, new_client):
    parts = invitation_parts(page(add_patient(nurse)))
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        stored = " ".join([invitation.token_hash, invitation.code_hash])
    token = parts["link"].rsplit("/", 1)[1]
    assert token not in stored and parts["code"].replace("-", "") not in stored
    response = new_client().get(parts["link"])  # on the patient's phone
    assert response.status_code == 302 and response.location == "/enrol/date-of-birth"


def test_a_new_invitation_stops_the_older_one_working(app, nurse, new_client, actors):
    first = invitation_parts(page(add_patient(nurse)))
    with app.app_context():
        profile_id = db.session.scalar(select(PatientProfile.id).where(PatientProfile.nhs_number == NEW_NHS_NUMBER))
    second = invitation_parts(page(nurse.post_form(f"/nurse/patients/{profile_id}/invitation", follow_redirects=True)))
    assert first["code"] != second["code"] and first["link"] != second["link"]
    with app.app_context():
        invitations = list(db.session.scalars(select(Invitation).order_by(Invitation.id)))
        assert [i.revoked_at is not None for i in invitations] == [True, False]
    old = new_client().get(first["link"])
    assert old.status_code == 404 and "replaced by a newer one" in page(old)
    assert new_client().get(second["link"]).status_code == 302


def test_a_closed_account_gets_no_new_invitation(app, nurse, actors):
    with app.app_context():
        db.session.get(User, actors.patient_a).active = False
        db.session.commit()
    response = nurse.post_form(f"/nurse/patients/{actors.profile_a}/invitation", follow_redirects=True)
    assert "This account is closed" in page(response)
    with app.app_context():
        assert count(Invitation) == 0


def test_reinviting_is_audited(app, nurse, actors):
    nurse.post_form(f"/nurse/patients/{actors.profile_a}/invitation")
    with app.app_context():
        (event,) = events("invitation.issue")
        invitation_id = db.session.scalar(select(Invitation.id))
        assert (event.actor_id, event.patient_id, event.subject) == (
            actors.nurse_a, actors.profile_a, f"invitation:{invitation_id}"
        )


# ---------------------------------------------------------------- the team's list and search


def listed(response) -> list[str]:
    return re.findall(r'<a href="/nurse/patients/\d+">([^<]+)</a>', page(response))


def test_the_list_shows_only_the_nurses_own_team(nurse):
    assert listed(nurse.get("/nurse/patients")) == ["Able, Ann", "Ames, Arthur"]


def test_the_other_team_sees_only_theirs(client, actors):
    sign_in_as(client, actors.nurse_b)
    assert listed(client.get("/nurse/patients")) == ["Baker, Ben"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("able", ["Able, Ann"]),
        ("AM", ["Ames, Arthur"]),
        ("ann able", ["Able, Ann"]),
        ("Arthur Ames", ["Ames, Arthur"]),
        ("a", ["Able, Ann", "Ames, Arthur"]),
        ("Baker", []),  # another team's patient
        ("%", []),  # a wildcard is just a character
        ("_", []),
        ("nobody", []),
    ],
)
def test_search_by_name(nurse, query, found):
    assert listed(nurse.get("/nurse/patients", query_string={"q": query})) == found


def test_search_by_nhs_number_with_or_without_spaces(app, nurse, actors):
    with app.app_context():
        number = db.session.get(PatientProfile, actors.profile_a2).nhs_number
        other_team = db.session.get(PatientProfile, actors.profile_b).nhs_number
    for query in (number, f"{number[:3]} {number[3:6]} {number[6:]}", number[:6]):
        assert "Ames, Arthur" in listed(nurse.get("/nurse/patients", query_string={"q": query}))
    assert listed(nurse.get("/nurse/patients", query_string={"q": other_team})) == []


def test_a_long_list_is_cut_at_fifty(app, nurse, actors):
    with app.app_context():
        team = db.session.get(Team, actors.team_a)
        for n in range(60):
            make_patient(team, "Zed", f"Zulu{n:02d}")
        db.session.commit()
    assert len(listed(nurse.get("/nurse/patients"))) == 50


def test_listing_and_searching_are_audited(app, nurse, actors):
    nurse.get("/nurse/patients", query_string={"q": "able"})
    with app.app_context():
        event = events("patient.list")[-1]
        assert event.actor_id == actors.nurse_a
        # That there was a search and what it found, never what was typed (a name, an NHS number).
        assert event.detail == {"searched": True, "results": 1}
        assert "able" not in str(event.detail).lower()
    nurse.get("/nurse/patients")
    with app.app_context():
        assert events("patient.list")[-1].detail == {"searched": False, "results": 2}


def test_opening_a_record_is_audited(app, nurse, actors):
    body = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "Ann Able" in body
    with app.app_context():
        assert [(e.actor_id, e.patient_id) for e in events("patient.view")] == [(actors.nurse_a, actors.profile_a)]


def test_refreshing_the_invitation_page_never_shows_the_code_again_or_adds_twice(app, nurse):
    first = add_patient(nurse)
    assert "Invitation ready" in page(first)
    again = nurse.get(first.request.path)
    assert "This invitation has already been shown" in page(again)
    assert invitation_parts(page(first))["code"] not in page(again)
    with app.app_context():
        assert count(Invitation) == 1  # refreshing created nothing
