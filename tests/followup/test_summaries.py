"""End of Treatment Summaries: written by the team, versioned, read by the patient."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from sqlalchemy import select

from app.extensions import db
from app.followup.models import EndOfTreatmentSummary
from app.models import AuditEvent, PatientProfile, Role, User
from tests.helpers import sign_in_as


def edit_url(actors, profile=None):
    return f"/nurse/patients/{profile or actors.profile_a}/treatment-summary/edit"


def view_url(actors, profile=None):
    return f"/nurse/patients/{profile or actors.profile_a}/treatment-summary"


def summary_data(base_version=0, **changes):
    data = {
        "action": "save",
        "base_version": str(base_version),
        "diagnosis": "Breast cancer (invasive ductal), grade 2",
        "diagnosis_date-day": "3", "diagnosis_date-month": "2", "diagnosis_date-year": "2025",
        "treatments-0-treatment": "Wide local excision",
        "treatments-0-started-day": "10", "treatments-0-started-month": "3", "treatments-0-started-year": "2025",
        "treatments-0-ended-day": "", "treatments-0-ended-month": "", "treatments-0-ended-year": "",
        "treatments-0-intent": "curative",
        "treatments-1-treatment": "Radiotherapy, 15 sessions",
        "treatments-1-started-day": "5", "treatments-1-started-month": "5", "treatments-1-started-year": "2025",
        "treatments-1-ended-day": "26", "treatments-1-ended-month": "5", "treatments-1-ended-year": "2025",
        "treatments-1-intent": "curative",
        "side_effects": "Tiredness\nSkin soreness",
        "late_effects": "Lymphoedema",
        "red_flags_contact_team": "A new lump\nBone pain",
        "red_flags_emergency": "Chest pain",
        "follow_up_plan": "Mammogram every year",
        "contacts": "Breast care nurses, 020 7946 0123",
        "gp_actions": "Cancer Care Review",
    }
    data.update(changes)
    return data


def summaries(app):
    with app.app_context():
        return db.session.scalars(select(EndOfTreatmentSummary).order_by(EndOfTreatmentSummary.version)).all()


def test_a_new_summary_is_prefilled_from_the_pathway_content(app, nurse, actors):
    html = nurse.get(edit_url(actors)).get_data(as_text=True)
    # Patient A is on the breast pathway: its red flags, and the emergency symptoms for everyone.
    assert "A new lump in your breast, armpit, chest wall or neck" in html
    assert "Back or neck pain with new weakness in your legs" in html
    assert "Team A" in html  # contacts start from the team
    assert 'name="base_version" value="0"' in html


def test_nurse_writes_a_summary_and_the_patient_reads_it(app, nurse, actors, new_client):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology 24-hour line", "020 7946 0999"
        db.session.commit()
    response = nurse.post_form(edit_url(actors), summary_data())
    assert response.status_code == 303 and response.location.endswith(view_url(actors))
    [summary] = summaries(app)
    assert (summary.version, summary.is_current, summary.created_by_id, summary.team_id) == (1, True, actors.nurse_a, actors.team_a)
    assert summary.diagnosis_date == date(2025, 2, 3)
    assert summary.treatments == [
        {"treatment": "Wide local excision", "started": "2025-03-10", "ended": None, "intent": "curative"},
        {"treatment": "Radiotherapy, 15 sessions", "started": "2025-05-05", "ended": "2025-05-26", "intent": "curative"},
    ]
    page = nurse.get(view_url(actors)).get_data(as_text=True)
    assert "Radiotherapy, 15 sessions" in page and "5 May 2025 to 26 May 2025" in page and "ongoing" in page

    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    mine = patient.get("/my-care/treatment-summary").get_data(as_text=True)
    assert "Your treatment summary" in mine and "Wide local excision" in mine and "Print your summary" in mine
    assert "<li>Tiredness</li>" in mine and "to cure the cancer" in mine
    # The emergency box itself gives the number to call, not just the footer.
    emergency = mine[mine.index("Immediate action required"):mine.index("Urgent advice")]
    assert 'Acute oncology 24-hour line: <a href="tel:02079460999" class="app-tel">020 7946 0999</a>' in emergency
    assert "Your treatment summary" in patient.get("/my-care").get_data(as_text=True)

    other = new_client()
    sign_in_as(other, actors.patient_a2)
    theirs = other.get("/my-care/treatment-summary").get_data(as_text=True)
    assert "Wide local excision" not in theirs and "has not written your treatment summary yet" in theirs

    with app.app_context():
        actions = [(e.action, e.patient_id) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("eots.")))]
    assert ("eots.create", actors.profile_a) in actions
    assert actions.count(("eots.view", actors.profile_a)) == 2  # the nurse's and the patient's reading
    assert ("eots.view", actors.profile_a2) in actions


def test_an_update_is_a_new_version_and_the_old_one_is_kept(app, nurse, actors):
    nurse.post_form(edit_url(actors), summary_data())
    prefilled = nurse.get(edit_url(actors)).get_data(as_text=True)
    assert 'name="base_version" value="1"' in prefilled and 'value="Radiotherapy, 15 sessions"' in prefilled
    assert nurse.post_form(edit_url(actors), summary_data(base_version=1, diagnosis="Breast cancer, grade 3")).status_code == 303
    first, second = summaries(app)
    assert (first.version, first.is_current, second.version, second.is_current) == (1, False, 2, True)
    assert first.diagnosis.endswith("grade 2") and second.diagnosis.endswith("grade 3")
    current = nurse.get(view_url(actors)).get_data(as_text=True)
    assert "grade 3" in current and "All versions" in current
    old = nurse.get(view_url(actors) + "?version=1").get_data(as_text=True)
    assert "grade 2" in old and "an earlier version" in old
    assert nurse.get(view_url(actors) + "?version=9").status_code == 404


def test_a_version_saved_meanwhile_is_a_conflict_and_the_typing_is_kept(app, nurse, actors, new_client):
    nurse.post_form(edit_url(actors), summary_data())
    colleague = new_client()
    sign_in_as(colleague, actors.nurse_a)
    # The colleague opened the page before the first save, so their base version is 0.
    response = colleague.post_form(edit_url(actors), summary_data(base_version=0, late_effects="Heart problems (rare)"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your changes have not been saved" in html and "Nurse A saved version 1" in html
    assert "Heart problems (rare)" in html and 'name="base_version" value="1"' in html
    assert len(summaries(app)) == 1
    # Having read version 1, they save again on purpose: version 2.
    assert colleague.post_form(edit_url(actors), summary_data(base_version=1, late_effects="Heart problems (rare)")).status_code == 303
    assert [s.version for s in summaries(app)] == [1, 2]


def test_add_another_treatment_keeps_everything_typed_and_saves_nothing(app, nurse, actors):
    data = summary_data(action="add_treatment", diagnosis="Typed <diagnosis>")
    html = nurse.post_form(edit_url(actors), data).get_data(as_text=True)
    assert "Treatment 3" in html and 'name="treatments-2-treatment"' in html
    assert 'value="Typed &lt;diagnosis&gt;"' in html and 'value="Radiotherapy, 15 sessions"' in html
    assert "There is a problem" not in html
    assert summaries(app) == []


def test_bad_input_gets_clear_messages_and_keeps_the_typing(app, nurse, actors):
    data = summary_data(**{
        "diagnosis": "",
        "treatments-0-intent": "",
        "treatments-1-ended-year": "2024",  # before it started
        "treatments-1-started-day": "32",
        "gp_actions": "<script>alert(1)</script>",
    })
    response = nurse.post_form(edit_url(actors), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Enter the diagnosis" in html
    assert '<a href="#treatments-0-intent"' in html and "Choose what the treatment aimed to do" in html
    assert '<a href="#treatments-1-started-day"' in html and "Start date of treatment 2 must be a real date" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'value="32"' in html
    assert summaries(app) == []


def test_a_summary_needs_at_least_one_treatment(app, nurse, actors):
    data = {k: v for k, v in summary_data().items() if not k.startswith("treatments-")}
    html = nurse.post_form(edit_url(actors), data).get_data(as_text=True)
    assert '<a href="#treatments-0-treatment"' in html and "Enter at least one treatment" in html
    assert summaries(app) == []


def test_a_half_filled_treatment_row_is_not_ignored(app, nurse, actors):
    data = summary_data(**{"treatments-1-treatment": "", "treatments-1-intent": ""})
    html = nurse.post_form(edit_url(actors), data).get_data(as_text=True)
    assert "Enter the treatment given" in html
    assert summaries(app) == []


def test_free_text_is_escaped_for_nurse_and_patient(app, nurse, actors, new_client):
    nurse.post_form(edit_url(actors), summary_data(diagnosis="<img src=x onerror=alert(1)>", contacts="<b>Ward 7</b>"))
    page = nurse.get(view_url(actors)).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    mine = patient.get("/my-care/treatment-summary").get_data(as_text=True)
    assert "&lt;b&gt;Ward 7&lt;/b&gt;" in mine and "<b>Ward 7" not in mine


def test_the_summary_page_prints_cleanly(app, nurse, actors):
    nurse.post_form(edit_url(actors), summary_data())
    html = nurse.get(view_url(actors)).get_data(as_text=True)
    assert re.search(r'href="/static/css/followup\.[0-9a-f]{12}\.css"', html)
    assert 'class="app-print-only"' in html and "NHS number" in html
    assert 'class="nhsuk-button-group app-no-print"' in html


def test_a_patient_moved_to_another_team_keeps_summaries_out_of_the_old_teams_reach(app, nurse, actors):
    nurse.post_form(edit_url(actors), summary_data())
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).team_id = actors.team_b
        db.session.commit()
    assert nurse.get(view_url(actors)).status_code == 404
    assert nurse.get(view_url(actors) + "?version=1").status_code == 404
    assert nurse.get(edit_url(actors)).status_code == 404
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.access_refused")).all()
    assert len(refused) == 3
    assert all((e.subject, e.outcome, e.actor_id) == (f"patient:{actors.profile_a}", "refused", actors.nurse_a) for e in refused)


def test_her_own_save_sent_twice_is_saved_once_not_a_conflict(app, nurse, actors):
    assert nurse.post_form(edit_url(actors), summary_data()).status_code == 303
    retry = nurse.post_form(edit_url(actors), summary_data())  # a double click, or the browser retrying
    assert retry.status_code == 303 and retry.location.endswith(view_url(actors))
    assert "End of Treatment Summary saved (version 1)" in nurse.get(view_url(actors)).get_data(as_text=True)
    assert [s.version for s in summaries(app)] == [1]
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eots.create")).all()) == 1


def test_a_colleagues_identical_save_is_still_a_conflict(app, nurse, actors, new_client):
    with app.app_context():
        colleague_user = User(role=Role.NURSE, display_name="Nurse C", email="nurse.c@example.test", team_id=actors.team_a)
        db.session.add(colleague_user)
        db.session.commit()
        colleague_id = colleague_user.id
    assert nurse.post_form(edit_url(actors), summary_data()).status_code == 303
    colleague = new_client()
    sign_in_as(colleague, colleague_id)
    response = colleague.post_form(edit_url(actors), summary_data())
    assert response.status_code == 409 and "Nurse A saved version 1" in response.get_data(as_text=True)
    # Her own retry with something changed is a conflict too: it is not the save that was stored.
    changed = nurse.post_form(edit_url(actors), summary_data(gp_actions="Cancer Care Review within 6 months"))
    assert changed.status_code == 409
    assert [s.version for s in summaries(app)] == [1]


def test_when_a_version_was_written_is_shown_in_london_time(app, nurse, actors):
    nurse.post_form(edit_url(actors), summary_data())
    nurse.post_form(edit_url(actors), summary_data(base_version=1, diagnosis="Breast cancer, grade 3"))
    with app.app_context():  # 11:30pm UTC on 30 June is 12:30am on 1 July in London (BST)
        db.session.execute(EndOfTreatmentSummary.__table__.update().values(created_at=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)))
        db.session.commit()
    html = nurse.get(view_url(actors)).get_data(as_text=True)
    assert "written by Nurse A (Team A) on 1 July 2026." in html
    assert "Version 2 (shown), by Nurse A on 1 July 2026 at 12:30am (current)" in html
    panel = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Version 2, 1 July 2026" in panel


# ---------------------------------------------------------------- dates named in their messages


def test_each_date_message_names_its_date(app, nurse, actors):
    data = summary_data(**{
        "diagnosis_date-day": "31", "diagnosis_date-month": "2",
        "treatments-0-started-year": "25",
        "treatments-1-started-day": "32",
        "treatments-1-ended-year": "2024",
    })
    html = nurse.post_form(edit_url(actors), data).get_data(as_text=True)
    assert "Date of diagnosis must be a real date" in html
    assert "Start date of treatment 1 must include a year with 4 numbers" in html
    assert "Start date of treatment 2 must be a real date" in html
    assert "Date must be" not in html and "Year must include" not in html
    fixed = nurse.post_form(edit_url(actors), summary_data(**{"treatments-1-ended-year": "2024"})).get_data(as_text=True)
    assert "End date of treatment 2 must be the same as or after its start date" in fixed
    no_start = nurse.post_form(edit_url(actors), summary_data(**{
        "treatments-1-started-day": "", "treatments-1-started-month": "", "treatments-1-started-year": ""})).get_data(as_text=True)
    assert "Enter the start date of treatment 2" in no_start
    assert summaries(app) == []


# ---------------------------------------------------------------- emergencies first; phone numbers to tap


def test_emergencies_come_first_in_the_form_and_on_every_page(app, nurse, actors, new_client):
    form = nurse.get(edit_url(actors)).get_data(as_text=True)
    assert form.index('name="red_flags_emergency"') < form.index('name="red_flags_contact_team"')
    # The error summary lists them in the same order as the form.
    errors = nurse.post_form(edit_url(actors), summary_data(red_flags_emergency="", red_flags_contact_team="")).get_data(as_text=True)
    assert errors.index('href="#red_flags_emergency"') < errors.index('href="#red_flags_contact_team"')

    nurse.post_form(edit_url(actors), summary_data())
    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    for html in (nurse.get(view_url(actors)).get_data(as_text=True),
                 patient.get("/my-care/treatment-summary").get_data(as_text=True)):
        emergency = html.index("Call 999 or your 24-hour line, or go to A&amp;E, if you have")
        same_day = html.index("Contact your cancer team the same day if you have")
        assert emergency < same_day
        assert html.index("Chest pain") < html.index("A new lump")
        # Marked as an emergency: the NHS.UK emergency care card, heavier still when printed.
        assert 'nhsuk-card--care--emergency app-eots__box app-eots__emergency' in html


def test_phone_numbers_in_who_to_contact_can_be_tapped_and_the_text_stays_escaped(app, nurse, actors, new_client):
    contacts = ("Breast care nurses, 020 7946 0123, 9am to 5pm\n"
                "<script>alert(1)</script> (01632) 960123\n"
                "Out of hours: +44 20 7946 0999\n"
                "Ward 7, extension 4567, NHS number 943 476 5919")
    nurse.post_form(edit_url(actors), summary_data(contacts=contacts))
    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    for html in (nurse.get(view_url(actors)).get_data(as_text=True),
                 patient.get("/my-care/treatment-summary").get_data(as_text=True)):
        assert '<a href="tel:02079460123" class="app-tel">020 7946 0123</a>, 9am to 5pm' in html
        assert '&lt;script&gt;alert(1)&lt;/script&gt; <a href="tel:01632960123" class="app-tel">(01632) 960123</a>' in html
        assert '<a href="tel:+442079460999" class="app-tel">+44 20 7946 0999</a>' in html
        assert "<script>alert(1)" not in html
        assert 'tel:4567' not in html and 'tel:9434765919' not in html
    # Only "Who to contact" is changed: a number in other text stays text.
    nurse.post_form(edit_url(actors), summary_data(base_version=1, gp_actions="Call 020 7946 0123"))
    assert 'tel:02079460123' not in nurse.get(view_url(actors)).get_data(as_text=True).split("Actions for the GP")[1]


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize(("text", "expected"), [
    ("Call 020 7946 0123", 'Call <a href="tel:02079460123" class="app-tel">020 7946 0123</a>'),
    ("07700-900123.", '<a href="tel:07700900123" class="app-tel">07700-900123</a>.'),
    ("0113 496 0000 (Mon to Fri)", '<a href="tel:01134960000" class="app-tel">0113 496 0000</a> (Mon to Fri)'),
    ("020 7946 0123 9am to 5pm", '<a href="tel:02079460123" class="app-tel">020 7946 0123</a> 9am to 5pm'),
    ("15/09/2026, 2026-09-15", "15/09/2026, 2026-09-15"),
    ("Room 0123", "Room 0123"),
    ("<b>0800 123 4567</b>", '&lt;b&gt;<a href="tel:08001234567" class="app-tel">0800 123 4567</a>&lt;/b&gt;'),
    ('"onmouseover=alert(1) 020 7946 0123', '&#34;onmouseover=alert(1) <a href="tel:02079460123" class="app-tel">020 7946 0123</a>'),
    ("", ""),
])
def test_phone_links_are_built_from_escaped_pieces(app, text, expected):
    from markupsafe import Markup

    from app.followup.routes import phone_links

    with app.test_request_context():
        result = phone_links(text)
    assert isinstance(result, Markup) and str(result) == expected


def test_an_overdue_test_is_called_overdue_in_the_follow_up_plan_prefilled_for_the_gp(app, nurse, actors):
    from app.followup.models import SurveillanceTest

    with app.app_context():
        db.session.add_all([
            SurveillanceTest(patient_id=actors.profile_a, name="CT scan", interval_months=12, next_due=date(2020, 9, 15)),
            SurveillanceTest(patient_id=actors.profile_a, name="Mammogram", interval_months=12, next_due=date(2099, 1, 9)),
        ])
        db.session.commit()
    html = nurse.get(edit_url(actors)).get_data(as_text=True)
    assert "CT scan: every year, next due 15 September 2020 (overdue)" in html
    assert "Mammogram: every year, next due 9 January 2099\n" in html or "next due 9 January 2099</textarea>" in html


def _add_colleague(app, actors, name="Nurse C") -> int:
    with app.app_context():
        colleague = User(role=Role.NURSE, display_name=name, email=f"{name.replace(' ', '.').lower()}@example.test",
                         team_id=actors.team_a)
        db.session.add(colleague)
        db.session.commit()
        return colleague.id


def _current_versions(app, actors) -> list[int]:
    return [s.version for s in summaries(app) if s.is_current]


@pytest.mark.hazard("HAZ-005")
@pytest.mark.hazard("HAZ-006")
def test_two_saves_from_the_same_opened_version_keep_one_current_and_the_second_is_told(app, nurse, actors, new_client):
    assert nurse.post_form(edit_url(actors), summary_data()).status_code == 303
    colleague = new_client()
    sign_in_as(colleague, _add_colleague(app, actors))
    # Both opened version 1; the nurse saves first.
    assert nurse.post_form(edit_url(actors), summary_data(base_version=1, late_effects="Lymphoedema, neuropathy")).status_code == 303
    response = colleague.post_form(edit_url(actors), summary_data(base_version=1, late_effects="Early menopause"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nurse A saved version 2" in html and "Early menopause" in html
    assert [s.version for s in summaries(app)] == [1, 2] and _current_versions(app, actors) == [2]


@pytest.mark.hazard("HAZ-005")
@pytest.mark.hazard("HAZ-006")
def test_a_colleagues_save_landing_during_a_save_is_a_409_not_a_second_current_summary(app, nurse, actors, monkeypatch):
    """The true race: both saves pass "is version 1 still current?", then the colleague's version 2
    is committed before this one is written. Numbering from the opened version makes the database
    refuse this one (an IntegrityError), and that is answered like any other conflict."""
    from sqlalchemy.orm import Session

    from app.followup import summaries as service

    assert nurse.post_form(edit_url(actors), summary_data()).status_code == 303
    colleague_id = _add_colleague(app, actors)
    read_current = service.current_summary
    raced = []

    def current_then_colleague_saves(profile):
        current = read_current(profile)
        if not raced:
            raced.append(True)
            with Session(db.engine) as other:  # the colleague's own connection and transaction
                stored = other.get(EndOfTreatmentSummary, current.id)
                stored.is_current = False
                other.add(EndOfTreatmentSummary(
                    patient_id=profile.id, team_id=profile.team_id, version=2, is_current=True,
                    created_by_id=colleague_id, diagnosis="Breast cancer, grade 3", treatments=[]))
                other.commit()
        return current

    monkeypatch.setattr(service, "current_summary", current_then_colleague_saves)
    response = nurse.post_form(edit_url(actors), summary_data(base_version=1, late_effects="Early menopause"))
    html = response.get_data(as_text=True)
    assert raced and response.status_code == 409
    assert "Nurse C saved version 2" in html and "Early menopause" in html and 'name="base_version" value="2"' in html
    assert [s.version for s in summaries(app)] == [1, 2] and _current_versions(app, actors) == [2]


@pytest.mark.hazard("HAZ-006")
@pytest.mark.parametrize(("first_current", "second_current", "refused"), [
    (True, True, True),     # two current summaries for one person: never
    (True, False, False),
    (False, True, False),
    (False, False, False),  # only old versions (not something the app makes, but not a clash)
])
def test_the_database_keeps_at_most_one_current_summary_per_patient(app, actors, first_current, second_current, refused):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        db.session.add_all([
            EndOfTreatmentSummary(patient_id=profile.id, team_id=profile.team_id, version=version, is_current=current,
                                  created_by_id=actors.nurse_a, diagnosis="Bowel cancer", treatments=[])
            for version, current in ((1, first_current), (2, second_current))
        ])
        if refused:
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        else:
            db.session.commit()
        # Another person's current summary is never a clash.
        other = db.session.get(PatientProfile, actors.profile_a2)
        db.session.add(EndOfTreatmentSummary(patient_id=other.id, team_id=other.team_id, version=1, is_current=True,
                                             created_by_id=actors.nurse_a, diagnosis="Lung cancer", treatments=[]))
        db.session.commit()


# ---------------------------------------------------------------- the copy for the GP


def gp_copy_url(actors, profile=None):
    return view_url(actors, profile) + "/gp-copy"


def gp_copy_data(version=1, sent_on=None, method="nhsmail", **changes):
    from app.timeutil import london_today

    sent_on = sent_on or london_today()
    data = {"summary_version": str(version), "sent_on-day": str(sent_on.day), "sent_on-month": str(sent_on.month),
            "sent_on-year": str(sent_on.year), "method": method}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.hazard("HAZ-012")
def test_the_patient_is_told_a_copy_went_to_the_gp_only_once_the_team_records_it(app, nurse, actors, new_client):
    from app.timeutil import london_today, long_date

    patient = new_client()
    sign_in_as(patient, actors.patient_a)
    nurse.post_form(edit_url(actors), summary_data())
    before = patient.get("/my-care/treatment-summary").get_data(as_text=True)
    assert "Your cancer team wrote this summary" in before
    assert "GP gets a copy" not in before and "sent to your GP" not in before  # nothing was sent
    assert "Nobody has recorded sending version 1 to the GP practice" in nurse.get(view_url(actors)).get_data(as_text=True)

    recorded = nurse.post_form(gp_copy_url(actors), gp_copy_data())
    assert recorded.status_code == 303 and recorded.location.endswith(view_url(actors))
    today = long_date(london_today())
    assert f"A copy was sent to your GP on {today}." in patient.get("/my-care/treatment-summary").get_data(as_text=True)
    page = nurse.get(view_url(actors)).get_data(as_text=True)
    assert f"was sent to the GP practice on {today}, by NHSmail. Recorded by Nurse A" in page
    [summary] = summaries(app)
    assert (summary.gp_copy_method, summary.gp_copy_recorded_by_id) == ("nhsmail", actors.nurse_a)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eots.gp_copy_recorded")).all()
        assert (event.actor_id, event.patient_id, event.subject) == (actors.nurse_a, actors.profile_a, f"eots:{summary.id}")
        assert event.detail == {"version": 1, "method": "nhsmail", "sent_on": london_today().isoformat()}

    # A new version has not been sent: the patient is no longer told it was.
    nurse.post_form(edit_url(actors), summary_data(base_version=1, late_effects="Heart problems (rare)"))
    assert "sent to your GP" not in patient.get("/my-care/treatment-summary").get_data(as_text=True)


@pytest.mark.hazard("HAZ-012")
@pytest.mark.parametrize(("changes", "message"), [
    ({"sent_on-day": "", "sent_on-month": "", "sent_on-year": ""}, "Enter the date the copy was sent"),
    ({"sent_on-day": "31", "sent_on-month": "2"}, "Date sent must be a real date"),
    ({"sent_on-year": "2999"}, "Date sent must be a real date"),
    ({"method": None}, "Choose how the copy was sent"),
    ({"method": "carrier pigeon"}, "Not a valid choice"),
    ("tomorrow", "Date sent must be today or in the past"),
    ("before it was written", "Date sent must be on or after the day version 1 was written"),
])
def test_a_gp_copy_record_with_a_mistake_saves_nothing_and_keeps_what_was_typed(app, nurse, actors, changes, message):
    from datetime import timedelta

    from app.timeutil import london_today

    nurse.post_form(edit_url(actors), summary_data())
    if changes == "tomorrow":
        data = gp_copy_data(sent_on=london_today() + timedelta(days=1))
    elif changes == "before it was written":
        data = gp_copy_data(sent_on=london_today() - timedelta(days=1))
    else:
        data = gp_copy_data(**changes)
    response = nurse.post_form(gp_copy_url(actors), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html and message in html
    assert f'value="{data.get("sent_on-year", "")}"' in html  # what was typed stays
    [summary] = summaries(app)
    assert summary.gp_copy_sent_on is None and summary.gp_copy_recorded_by_id is None


@pytest.mark.hazard("HAZ-004")
def test_only_the_patients_own_team_can_record_the_gp_copy(app, nurse, actors):
    nurse.post_form(edit_url(actors), summary_data())
    assert nurse.post_form(gp_copy_url(actors, actors.profile_b), gp_copy_data()).status_code == 404
    nothing_written = nurse.post_form(gp_copy_url(actors, actors.profile_a2), gp_copy_data(version=None))
    assert nothing_written.status_code == 303 and nothing_written.location.endswith(view_url(actors, actors.profile_a2))
    assert nurse.post_form(gp_copy_url(actors, actors.profile_a2), gp_copy_data()).status_code == 404  # no version 1
    assert nurse.post_form(gp_copy_url(actors), gp_copy_data(version=7)).status_code == 404
    assert summaries(app)[0].gp_copy_sent_on is None
