"""The patient's home page, their contacts, and urgent help with their team's 24-hour line."""
from __future__ import annotations

import html
import re

import pytest

from app.extensions import db
from app.followup.pathway_content import emergency_signs
from app.hna import service
from app.hna.models import HNAStatus, PathwayPoint
from app.models import PatientProfile, Team, User
from app.timeutil import london_today, long_date, utcnow
from tests.helpers import page, shown_escaped, sign_in_as


def give_contacts(app, actors, **overrides) -> None:
    with app.app_context():
        team = db.session.get(Team, actors.team_a)
        team.phone, team.hours, team.email = "020 7946 0123", "Monday to Friday, 9am to 5pm", "team@nhs.net"
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology 24-hour line", "020 7946 0999"
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.gp_practice_name, profile.gp_practice_phone = "Riverside Medical Practice", "(020) 7946-0000"
        profile.gp_practice_address = "12 Mill Lane, London"
        for name, value in overrides.items():
            setattr(team, name, value)
        db.session.commit()


def test_the_contacts_page_gives_every_single_point_of_contact_as_links_that_dial(app, patient, actors):
    give_contacts(app, actors)
    response = patient.get("/my-care/contacts")
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nurse A" in raw and "Team A" in raw and "Monday to Friday, 9am to 5pm" in raw
    assert '<a href="tel:02079460123" class="app-tel">020 7946 0123</a>' in raw
    assert '<a href="tel:02079460000" class="app-tel">(020) 7946-0000</a>' in raw
    assert "12 Mill Lane, London" in raw
    assert '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>' in raw
    assert 'href="tel:999"' in raw and 'href="tel:111"' in raw
    assert 'href="mailto:team@nhs.net"' in raw
    assert "does not replace urgent care" in raw


def test_the_contacts_page_says_what_to_do_when_nothing_is_recorded(app, patient, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).key_worker_id = None
        db.session.commit()
    body = page(patient.get("/my-care/contacts"))
    assert "Not yet named – ask your cancer team" in body
    assert "Your team has not recorded your GP practice" in body
    assert "call the 24-hour acute oncology line your team gave you" in body
    assert 'href="tel:999"' in body


def test_contacts_are_escaped(app, patient, actors):
    give_contacts(app, actors, hours="<script>alert(1)</script>", out_of_hours_name="<b>Line</b>")
    raw = patient.get("/my-care/contacts").get_data(as_text=True)
    assert shown_escaped(raw, "<script>alert(1)</script>")
    assert shown_escaped(raw, "<b>Line</b>")


def test_only_patients_have_a_contacts_page(client, actors):
    sign_in_as(client, actors.nurse_a)
    assert client.get("/my-care/contacts").status_code == 404


@pytest.mark.hazard("HAZ-002")
def test_urgent_help_gives_the_teams_24_hour_line_as_a_link_that_dials(app, patient, actors):
    give_contacts(app, actors)
    raw = patient.get("/hna").get_data(as_text=True)
    assert "Acute oncology 24-hour line: call <a href=\"tel:02079460999\"" in raw
    for url in ("/my-care", "/hna"):
        raw = patient.get(url).get_data(as_text=True)
        assert 'href="tel:02079460999"' in raw, url
        assert 'href="tel:999"' in raw and 'href="tel:111"' in raw
        assert "does not replace urgent care" in raw
    # The signs to act on are the pathway content's words, the one source of the advice.
    for sign in emergency_signs():
        assert sign.text in html.unescape(raw), sign.id


FEELING_UNWELL = ("A high temperature (37.5°C or more) or feeling suddenly unwell during or soon after "
                  "chemotherapy or immunotherapy? If so, call Acute oncology 24-hour line now:")


@pytest.mark.hazard("HAZ-002")
@pytest.mark.parametrize("url", ["/my-care", "/my-care/contacts"])
def test_feeling_unwell_and_the_24_hour_line_come_first_and_only_once(app, patient, actors, url):
    """On a small phone the urgent advice used to start far down the home page, and the
    24-hour line came last on the contacts page, after the GP."""
    give_contacts(app, actors)
    body = page(patient.get(url))
    assert "Feeling unwell?" in body and FEELING_UNWELL in body
    line = body.index('href="tel:02079460999"')
    assert body.count('href="tel:02079460999"') == 1  # said once, not again further down
    assert line < body.index("Nurse A")  # before the key worker
    assert line < body.index('href="tel:02079460123"')  # and the team's own number
    assert line < body.index("In an emergency call") < body.index('href="tel:111"')
    assert body.count("If you need help urgently") == 0  # the longer box is not repeated
    assert "style=" not in body.split("<main", 1)[1]


@pytest.mark.hazard("HAZ-010")
@pytest.mark.hazard("HAZ-002")
def test_the_contacts_page_orders_24_hour_line_team_gp_then_999_and_111(app, patient, actors):
    give_contacts(app, actors)
    body = page(patient.get("/my-care/contacts"))
    order = [body.index(marker) for marker in (
        'href="tel:02079460999"', "Your hospital team", 'href="tel:02079460123"',
        "Your GP practice", 'href="tel:02079460000"', "Other urgent help", 'href="tel:111"')]
    assert order == sorted(order)


@pytest.mark.parametrize("url", ["/my-care", "/my-care/contacts"])
def test_feeling_unwell_without_a_24_hour_line_gives_plain_advice(patient, url):
    body = page(patient.get(url))
    assert "Feeling unwell?" in body
    assert ('call the 24-hour acute oncology line your team gave you now, or <a href="tel:111">111</a> '
            "if you do not have the number") in body
    assert "tel:0" not in body and 'href="tel:999"' in body


@pytest.mark.hazard("HAZ-002")
def test_urgent_help_falls_back_to_plain_advice_without_a_24_hour_line(patient):
    raw = patient.get("/my-care").get_data(as_text=True)
    assert "call the 24-hour acute oncology line your team gave you" in raw
    assert "tel:0" not in raw


def test_pages_kept_for_anyone_never_show_a_teams_line(app, client, actors):
    give_contacts(app, actors)
    sign_in_as(client, actors.patient_a)
    raw = client.get("/offline").get_data(as_text=True)
    assert "02079460999" not in raw
    assert "call the 24-hour acute oncology line your team gave you" in raw


@pytest.mark.hazard("HAZ-002")
def test_the_offline_page_always_offers_999_and_111_to_dial_and_a_place_for_the_persons_own_line(client):
    raw = client.get("/offline").get_data(as_text=True)
    assert 'href="tel:999"' in raw and 'href="tel:111"' in raw
    # Filled in on the phone by static/js/urgent-line.js; without it, 111 stands in.
    assert ('<li data-urgent-line>call the 24-hour acute oncology line your team gave you, or '
            '<a href="tel:111">111</a> if you do not have it</li>') in raw
    assert re.search(r"js/app\.[0-9a-f]{12}\.js", raw)


@pytest.mark.hazard("HAZ-002")
@pytest.mark.parametrize(
    ("out_of_hours_name", "out_of_hours_phone", "expected"),
    [
        ("Acute oncology 24-hour line", "020 7946 0999",
         {"name": "Acute oncology 24-hour line", "phone": "020 7946 0999",
          "link": '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>', "dial": "02079460999"}),
        (None, "+44 (20) 7946-0999", {"name": "Your 24-hour line", "phone": "+44 (20) 7946-0999",
                                      "link": '<a href="tel:+442079460999" class="app-tel">+44 (20) 7946-0999</a>',
                                      "dial": "+442079460999"}),
        # Kept, but no link to dial: the phone shows the line's name and number as plain text.
        ("Acute oncology", "020 7946 0999 ext 12",
         {"name": "Acute oncology", "phone": "020 7946 0999 ext 12", "link": None, "dial": None}),
        ("Acute oncology", None, {"name": None, "phone": None, "link": None, "dial": None}),
        (None, "", {"name": None, "phone": None, "link": None, "dial": None}),
    ],
)
def test_the_urgent_line_kept_on_the_phone_is_the_patients_own_teams(
        app, patient, actors, out_of_hours_name, out_of_hours_phone, expected):
    give_contacts(app, actors, out_of_hours_name=out_of_hours_name, out_of_hours_phone=out_of_hours_phone)
    response = patient.get("/my-care/urgent-line", headers={"Accept": "application/json"})
    assert response.status_code == 200
    # `owner` names whose line it is (tests/test_urgent_help.py test_the_urgent_line_names_its_person_as_their_pages_do).
    assert {key: value for key, value in response.get_json().items() if key != "owner"} == expected
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.hazard("HAZ-003")
def test_the_urgent_line_is_only_ever_the_signed_in_patients(app, client, actors):
    give_contacts(app, actors)
    with app.app_context():
        db.session.get(Team, actors.team_b).out_of_hours_phone = "0161 496 0999"
        db.session.commit()
    sign_in_as(client, actors.patient_b)
    assert 'href="tel:01614960999"' in client.get("/my-care/urgent-line").get_json()["link"]
    for staff in (actors.nurse_a, actors.admin):
        sign_in_as(client, staff)
        assert client.get("/my-care/urgent-line").status_code == 404


@pytest.mark.hazard("HAZ-003")
def test_a_script_asking_for_the_urgent_line_when_signed_out_is_told_so(client):
    response = client.get("/my-care/urgent-line", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "signed_out"


@pytest.mark.hazard("HAZ-003")
@pytest.mark.hazard("HAZ-022")
def test_only_a_signed_in_patients_pages_ask_for_their_line_and_a_staff_page_forgets_it(app, client, actors):
    sign_in_as(client, actors.patient_a)
    raw = client.get("/my-care").get_data(as_text=True)
    assert 'data-urgent-line-url="/my-care/urgent-line"' in raw and 'data-outbox-owner="' in raw
    assert 'data-outbox-owner=""' not in raw
    # The offline page is kept for anyone: it neither asks nor forgets, it only shows.
    raw = client.get("/offline").get_data(as_text=True)
    assert "data-urgent-line-url" not in raw and "data-outbox-owner" not in raw
    # Someone else's page (a member of staff's) names nobody: the phone forgets the patient's.
    sign_in_as(client, actors.nurse_a)
    raw = client.get("/nurse/queue").get_data(as_text=True)
    assert 'data-outbox-owner=""' in raw and "data-urgent-line-url" not in raw
    # Signed out (e.g. after an idle timeout) names nobody and forgets nothing: the person's
    # numbers stay readable offline until sign-out or the next person's page (SECURITY.md).
    with client.session_transaction() as sess:
        sess.clear()
    raw = client.get("/sign-in").get_data(as_text=True)
    assert "data-outbox-owner" not in raw and "data-urgent-line-url" not in raw


@pytest.mark.hazard("HAZ-002")
def test_urgent_symptom_advice_after_sending_gives_the_24_hour_line(app, patient, actors):
    give_contacts(app, actors)
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        hna = service.start_or_resume(profile)
        questionnaire = service.questionnaire_of(hna.questionnaire_version)
        hna.answers = {"distress": 2, "concerns": {"breathing": 8}}
        hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
        db.session.commit()
        assert [c.id for c in service.urgent_concerns(hna, questionnaire)] == ["breathing"]
        hna_id = hna.id
    raw = patient.get(f"/hna/{hna_id}?sent=1").get_data(as_text=True)
    assert "You said: Breathing difficulties" in raw
    assert "Acute oncology 24-hour line: <a href=\"tel:02079460999\"" in raw


@pytest.mark.hazard("HAZ-009")
@pytest.mark.hazard("HAZ-002")
def test_a_fever_after_sending_says_call_now_with_the_24_hour_line_and_999(app, patient, actors):
    give_contacts(app, actors)
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        hna = service.start_or_resume(profile)
        hna.answers = {"distress": 2, "concerns": {"fever": 8}}
        hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
        db.session.commit()
        hna_id = hna.id
    body = page(patient.get(f"/hna/{hna_id}?sent=1"))
    assert "Call now: this could be an emergency" in body
    # The pathway content's words, the one source of the advice.
    assert "A high temperature (37.5°C or more) or feeling suddenly unwell during or soon after chemotherapy" in body
    assert 'Acute oncology 24-hour line: call <a href="tel:02079460999"' in body
    assert '<a href="tel:999">999</a>' in body
    assert "Do not wait for them: call now." in body


def test_the_home_page_shows_an_offer_with_who_and_when(app, patient, actors):
    with app.app_context():
        service.offer(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                      PathwayPoint.DIAGNOSIS)
        db.session.commit()
    body = page(patient.get("/my-care"))
    assert "Your care team has asked you to fill in a needs assessment" in body
    assert f"Nurse A asked you on {long_date(london_today())}." in body
    assert 'href="/hna" role="button"' in page(patient.get("/my-care"))
    assert "Start the assessment Nurse A asked you to do" in body
    assert "Continue" not in body


def test_home_is_made_from_its_kept_shapes_with_each_persons_values_put_in(app, patient, actors, monkeypatch):
    """Home's text is rendered once per shape and kept (app/main/home_page.py, the components'
    memo): a second view in the same state renders none of home's macros again, as long as every
    personal value it is given is shown whole. An offer is another shape, kept in its turn."""
    module = app.jinja_env.get_template("main/_home.html").module
    rendered = []
    def counting(name, macro):
        return lambda page: rendered.append(name) or macro(page)

    for name in ("home_top", "home_rest"):
        monkeypatch.setattr(module, name, counting(name, getattr(module, name)))
    for state in ("nothing sent", "offered"):
        if state == "offered":
            offer_from_nurse_a(app, actors)
        patient.get("/my-care")
        rendered_before = len(rendered)
        body = page(patient.get("/my-care"))
        assert len(rendered) == rendered_before, state
    assert f"Nurse A asked you on {long_date(london_today())}." in body
    assert "Start the assessment Nurse A asked you to do" in body


def offer_from_nurse_a(app, actors):
    with app.app_context():
        service.offer(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                      PathwayPoint.DIAGNOSIS)
        db.session.commit()


def test_an_offered_assessment_never_opened_is_started_not_continued(app, patient, actors):
    offer_from_nurse_a(app, actors)
    body = page(patient.get("/hna"))
    assert "Continue where you left off" not in body and "You started this assessment" not in body
    assert "Start the assessment Nurse A asked you to do" in body
    assert f"Nurse A from your care team asked you on {long_date(london_today())} to fill this in" in body

    # Once they have answered something, it is theirs to continue.
    patient.post_form("/hna/start")
    patient.post_form("/hna/questions/distress", {"distress": "3", "action": "later"})
    body = page(patient.get("/hna"))
    assert "Continue where you left off" in body and "You started this assessment on" in body
    assert "Start the assessment Nurse A asked you to do" not in body
    assert "Continue your assessment" in page(patient.get("/my-care"))


def send_an_assessment(app, actors) -> int:
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        hna = service.start_or_resume(profile)
        hna.answers = {"distress": 2}
        hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
        db.session.commit()
        return hna.id


def test_after_sending_the_home_page_says_who_has_the_answers_and_by_when(app, patient, actors):
    from app.hna.service import reply_due

    hna_id = send_an_assessment(app, actors)
    with app.app_context():
        from app.hna.models import HNA
        due = reply_due(db.session.get(HNA, hna_id))
    body = page(patient.get("/my-care"))
    assert "after you tell them how you are" not in body
    # Nobody has taken it yet: naming the key worker would be false reassurance.
    assert f"Your care team has your answers and will contact you by {long_date(due)}." in body
    assert "Nurse A will write a plan with you, using the answers you sent." in body


def test_once_a_nurse_takes_the_assessment_the_home_page_names_her(app, patient, actors):
    from app.triage.models import QueueItem
    from app.triage.queue import ItemKind

    hna_id = send_an_assessment(app, actors)
    with app.app_context():
        item = QueueItem(team_id=actors.team_a, patient_id=actors.profile_a, kind=ItemKind.HNA_NEW, reason="New",
                         source_key=f"hna:{hna_id}", hna_id=hna_id, due_at=utcnow(),
                         assignee_id=actors.nurse_b, assigned_at=utcnow())
        db.session.add(item)
        db.session.commit()
    assert "Nurse B has your answers" in page(patient.get("/my-care"))


@pytest.mark.hazard("HAZ-012")
def test_after_sending_the_reply_date_is_the_queue_items(app, patient, actors):
    from datetime import timedelta

    from app.triage.models import ItemStatus, QueueItem
    from app.triage.queue import ItemKind

    hna_id = send_an_assessment(app, actors)
    due = utcnow() + timedelta(days=20)
    with app.app_context():
        profile = db.session.get(PatientProfile, actors.profile_a)
        profile.key_worker_id = None
        item = QueueItem(team_id=actors.team_a, patient_id=actors.profile_a, kind=ItemKind.HNA_NEW, reason="New",
                         source_key=f"hna:{hna_id}", hna_id=hna_id, due_at=due)
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    body = page(patient.get("/my-care"))
    assert f"Your care team has your answers and will contact you by {long_date(due)}." in body

    # Late: no date in the past, but what to do. Done: no date at all.
    with app.app_context():
        db.session.get(QueueItem, item_id).due_at = utcnow() - timedelta(days=1)
        db.session.commit()
    body = page(patient.get("/my-care"))
    assert ("Your care team has your answers. If you have not heard from them yet, "
            '<a href="/my-care/contacts">contact your team</a>.') in body
    with app.app_context():
        item = db.session.get(QueueItem, item_id)
        item.status, item.resolved_at = ItemStatus.RESOLVED, utcnow()
        db.session.commit()
    body = page(patient.get("/my-care"))
    assert "Your care team has your answers." in body and "will contact you by" not in body


def test_the_home_page_without_an_offer_invites_the_person_to_start(patient):
    body = page(patient.get("/my-care"))
    assert "Your care team has asked you" not in body
    assert "Tell your care team how you are" in body
    assert 'href="/my-care/contacts"' in body
    assert "Nurse A" in body  # the key worker, on the contacts card


def test_the_home_page_shows_the_team_phone_as_a_link_that_dials(app, patient, actors):
    give_contacts(app, actors)
    raw = patient.get("/my-care").get_data(as_text=True)
    assert '<a href="tel:02079460123" class="app-tel">020 7946 0123</a>' in raw


def test_the_demo_has_contacts_an_offer_and_each_areas_records(app, client):
    from sqlalchemy import func, select

    from app.careplan.models import CarePlan
    from app.demo import DEMO_TEAM, seed_demo
    from app.followup.models import FollowUpPlan

    with app.app_context():
        seed_demo("http://localhost:5000")
        seed_demo("http://localhost:5000")  # safe to rerun
        team = db.session.scalar(select(Team).where(Team.name == DEMO_TEAM))
        assert (team.phone, team.out_of_hours_phone) == ("020 7946 0123", "020 7946 0999")
        margaret = db.session.scalar(select(PatientProfile).where(PatientProfile.given_name == "Margaret"))
        assert margaret.gp_practice_phone and margaret.gp_practice_address and margaret.phone
        assert service.current_draft(margaret).offered_by.display_name == "Sam Taylor"
        assert db.session.scalar(select(func.count(CarePlan.id))) == 1
        # David's (self-managed) and Priya's (clinician-led, app/reentry/demo.py).
        assert db.session.scalar(select(func.count(FollowUpPlan.id))) == 2
        margaret_user = margaret.user_id
    sign_in_as(client, margaret_user)
    body = page(client.get("/my-care"))
    assert "Sam Taylor asked you on" in body
    assert 'call Acute oncology 24-hour line now:' in body and 'href="tel:02079460999"' in body


@pytest.mark.hazard("HAZ-002")
def test_urgent_advice_under_a_symptom_on_the_question_page_gives_the_24_hour_line(app, patient, actors):
    give_contacts(app, actors)
    patient.post_form("/hna/start")
    raw = patient.get("/hna/questions/domain-physical").get_data(as_text=True)
    assert "Get help now if you need it" in raw
    # The same words and link as on the check and sent pages (hna/_urgent.html).
    assert ('Acute oncology 24-hour line: <a href="tel:02079460999" class="app-tel">020 7946 0999</a>. '
            'In an emergency, call <a href="tel:999">999</a>.') in raw


def test_the_offline_copy_of_a_question_page_holds_no_teams_line(app, patient, actors):
    give_contacts(app, actors)
    patient.post_form("/hna/start")
    raw = patient.get("/hna/questions/domain-physical?shell=1").get_data(as_text=True)
    assert "Get help now if you need it" in raw and "call your 24-hour acute oncology line today" in raw
    assert "Call now: this could be an emergency" in raw and "24-hour acute oncology line your team gave you" in raw
    assert "02079460999" not in raw and "020 7946 0999" not in raw and "Acute oncology 24-hour line" not in raw
    assert "Team A" not in raw and "Ann Able" not in raw


@pytest.mark.hazard("HAZ-011")
def test_one_function_makes_every_tel_link(app):
    """tel_link (app/forms.py) is the one maker of tel: links: no template or Python module writes
    one by hand, whatever the spelling (either quote, escaped or not), and no macro of the same job
    comes back. The only exceptions are the fixed national numbers, 999 and 111, written as they
    are dialled: they cannot fail to dial (HAZ-011's text lists them)."""
    import re
    from pathlib import Path

    from flask import render_template_string

    with app.test_request_context():
        link = render_template_string('{{ tel_link(n, "GP practice") }}', n="+44 20 7946.0123")
    assert link == ('<a href="tel:+442079460123" class="app-tel">+44 20 7946.0123'
                    '<span class="nhsuk-u-visually-hidden"> (GP practice)</span></a>')
    root = Path(app.root_path).parent
    # Any tel: href: href="tel:, href='tel:, href=\"tel: (a Python string), with or without spaces.
    any_tel_href = re.compile(r"""href\s*=\s*\\?["']\s*tel:""", re.IGNORECASE)
    national = re.compile(r"""<a href=\\?"tel:(999|111)\\?">\1</a>""")
    tel_links_own = '<a href="tel:{dial}" class="app-tel">'

    def by_hand(text: str, path: Path) -> bool:
        if path == root / "app" / "forms.py":
            text = text.replace(tel_links_own, "", 1)
        return bool(any_tel_href.search(national.sub("", text)))

    sources = [*(root / "app").rglob("*.py"), *(root / "templates").rglob("*.html")]
    writers = sorted(str(p.relative_to(root)) for p in sources if by_hand(p.read_text(encoding="utf-8"), p))
    assert writers == []
    # The check sees each spelling (so it can fail), and lets through only the national numbers.
    for written in ['<a href="tel:{x}">', "<a href='tel:0207'>", '<a href=\\"tel:111\\">call</a>',
                    '<a href="tel:112">112</a>', 'HREF = "tel:999"']:
        assert by_hand(written, root / "app" / "x.py"), written
    assert not by_hand('<a href=\\"tel:999\\">999</a> <a href="tel:111">111</a>', root / "app" / "x.py")
    # A tel: link whose number comes from a value, in any template syntax ({{ }}, {% %}, ~).
    from_a_value = re.compile(r"tel:\s*(\{|\"\s*~|'\s*~)|macro tel_link")
    makers = sorted(str(p.relative_to(root)) for p in (root / "templates").rglob("*.html")
                    if from_a_value.search(p.read_text(encoding="utf-8")))
    assert makers == []
    assert not (root / "templates" / "macros" / "tel.html").exists()
    assert not (root / "templates" / "main" / "_tel.html").exists()


def test_the_home_page_uses_the_shared_date_filters_not_strftime(app):
    """strftime('%-d') works on Linux only; long_date works everywhere, in London time."""
    from pathlib import Path

    root = Path(app.root_path).parent
    for path in [*(root / "templates" / "main").glob("*.html"), root / "app" / "main" / "routes.py"]:
        assert "strftime" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.hazard("HAZ-002")
def test_every_patient_care_page_offers_urgent_help(app, patient):
    """Walked from the app's routes, so a new patient page is covered the day it is added."""
    pages = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and rule.rule.startswith(("/my-care", "/hna"))]
    missing = []
    for path in pages:
        response = patient.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            if 'href="tel:999"' not in response.get_data(as_text=True):
                missing.append(path)
    assert len(pages) > 8 and missing == []


@pytest.mark.parametrize("path, action", [("/my-care/plan", "careplan.patient_view"), ("/my-care/follow-up", "followup.view")])
def test_a_patients_audited_page_when_the_sessions_activity_is_due_writes_both_in_one_commit(
        app, patient, actors, monkeypatch, path, action):
    """The audit of the person's own view and the session's activity, when due, go in one commit
    (on SQLite each commit is an fsync), as a staff read's do (tests/test_audit.py)."""
    from sqlalchemy import func, select

    from app.models import AuditEvent, UserSession
    from tests.helpers import commits_during, make_session_activity_due

    session_id, now = make_session_activity_due(app, actors.patient_a, monkeypatch)

    response, commits = commits_during(app, lambda: patient.get(path))

    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(UserSession, session_id).last_seen_at == now
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) == 1
    assert commits == 1
