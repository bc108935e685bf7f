"""The patient's HNA journey through plain form posts (no JavaScript)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.hna.models import HNA, HNAStatus
from app.hna import service
from app.models import Team
from app.triage.models import QueueItem
from app.triage.queue import ItemKind
from app.triage.working_days import response_deadline
from tests.helpers import moved_just_before_the_first_write, sign_in_as


def location(response) -> str:
    return response.headers["Location"]


def start(client) -> str:
    response = client.post_form("/hna/start")
    assert response.status_code == 303
    return location(response)


def answer(client, url: str, data: dict):
    return client.post_form(url, data)


def complete_required(client) -> None:
    """Answer every required page: point, distress 6, pain scored 8, none elsewhere."""
    url = start(client)
    assert url.endswith("/hna/questions/point")
    url = location(answer(client, url, {"pathway_point": "end_of_treatment"}))
    url = location(answer(client, url, {"distress": "6"}))
    assert url.endswith("/hna/questions/domain-physical")
    url = location(answer(client, url, {"concerns": ["pain", "tiredness"], "score-pain": "8", "score-tiredness": "3"}))
    while "/domain-" in url:
        url = location(answer(client, url, {"concerns": ["none"]}))
    assert url.endswith("/hna/questions/top")
    url = location(answer(client, url, {"top_concerns": ["pain"]}))
    assert url.endswith("/hna/questions/anything_else")
    url = location(answer(client, url, {"text": "Worried about <script>alert(1)</script> money"}))
    while "/matters-" in url:
        url = location(answer(client, url, {"text": "My grandchildren"}))
    assert url.endswith("/hna/check")


def test_start_page_explains_time_saving_and_urgent_help(patient):
    html = patient.get("/hna").get_data(as_text=True)
    assert "10 to 15 minutes" in html
    assert "saved as you go" in html
    assert "999" in html and "111" in html


def test_whole_journey_submits_one_hna_with_priority(app, patient, actors):
    complete_required(patient)
    check = patient.get("/hna/check").get_data(as_text=True)
    assert "Send my assessment" in check
    assert "Some questions still need an answer" not in check
    response = patient.post_form("/hna/submit")
    assert response.status_code == 303 and "sent=1" in location(response)
    with app.app_context():
        hnas = db.session.scalars(select(HNA)).all()
        assert len(hnas) == 1
        hna = hnas[0]
        assert hna.status is HNAStatus.SUBMITTED
        assert hna.distress == 6 and hna.high_priority is True and hna.high_scoring_count == 1
        assert hna.answers["concerns"] == {"pain": 8, "tiredness": 3}
        assert hna.questionnaire_version.version == 2  # the newest published version


def test_a_second_submit_does_not_create_another(app, patient):
    complete_required(patient)
    patient.post_form("/hna/submit")
    again = patient.post_form("/hna/submit")
    assert again.status_code == 303 and "/hna/" in location(again)
    with app.app_context():
        assert db.session.query(HNA).count() == 1


def test_starting_twice_resumes_the_same_draft(app, patient):
    start(patient)
    patient.post_form("/hna/questions/point", {"pathway_point": "diagnosis"})
    resumed = start(patient)
    assert resumed.endswith("/hna/questions/distress")
    with app.app_context():
        assert db.session.query(HNA).count() == 1


def test_submit_refused_while_required_answers_missing(app, patient):
    start(patient)
    response = patient.post_form("/hna/submit")
    assert location(response).endswith("/hna/check")
    html = patient.get("/hna/check").get_data(as_text=True)
    assert "Some questions still need an answer" in html
    with app.app_context():
        assert db.session.scalar(select(HNA)).status is HNAStatus.DRAFT


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("distress", {"distress": "11"}, "Choose a number from 0 to 10"),
        ("distress", {}, "Choose a number from 0 to 10"),
        ("domain-physical", {"concerns": ["not_a_concern"]}, "Select"),
        ("domain-physical", {"concerns": ["pain", "none"]}, "not both"),
        ("point", {"pathway_point": "tomorrow"}, "Select where you are"),
        ("domain-physical", {"concerns": ["pain"]}, "Enter a number from 0 to 10 for ‘Pain’"),
        ("domain-physical", {"concerns": ["pain"], "score-pain": "12"}, "Enter a number from 0 to 10 for ‘Pain’"),
    ],
)
def test_bad_answers_get_a_clear_message_and_nothing_is_saved(app, patient, page, data, message):
    start(patient)
    response = patient.post_form(f"/hna/questions/{page}", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert "<title>Error: " in html  # the page title says so, for screen reader users


def test_long_text_is_refused_but_kept_on_the_page(patient):
    start(patient)
    text = "a" * 1001 + "KEEPME"
    response = patient.post_form("/hna/questions/anything_else", {"text": text})
    html = response.get_data(as_text=True)
    assert "1000 characters or fewer" in html
    assert "KEEPME" in html


def test_changing_a_domain_drops_scores_of_unticked_concerns(app, patient):
    start(patient)
    patient.post_form("/hna/questions/domain-physical", {"concerns": ["pain", "tiredness"], "score-pain": "9", "score-tiredness": "2"})
    patient.post_form("/hna/questions/domain-physical", {"concerns": ["pain"], "score-pain": "9", "score-tiredness": "2"})
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["concerns"] == {"pain": 9}


def test_check_change_link_returns_to_check(patient):
    complete_required(patient)
    response = patient.post_form("/hna/questions/distress?return=check", {"distress": "2"})
    assert location(response).endswith("/hna/check")


def test_free_text_is_escaped_for_the_nurse(app, client, actors):
    sign_in_as(client, actors.patient_a)
    complete_required(client)
    client.post_form("/hna/submit")
    sign_in_as(client, actors.nurse_a)
    listing = client.get("/nurse/hnas").get_data(as_text=True)
    hna_id = re.search(r"/nurse/hnas/(\d+)", listing).group(1)
    html = client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "High distress: 6 out of 10" in html
    # Top concerns come before What Matters To Me, which comes before other concerns.
    assert html.index("Pain") < html.index("My grandchildren") < html.index("Feeling tired")


def test_other_team_cannot_see_the_hna(app, client, actors):
    sign_in_as(client, actors.patient_a)
    complete_required(client)
    client.post_form("/hna/submit")
    with app.app_context():
        hna_id = db.session.scalar(select(HNA.id))
    sign_in_as(client, actors.nurse_b)
    assert client.get(f"/nurse/hnas/{hna_id}").status_code == 404
    assert "Ann Able" not in client.get("/nurse/hnas").get_data(as_text=True)
    sign_in_as(client, actors.patient_a2)
    assert client.get(f"/hna/{hna_id}").status_code == 404


def test_submitted_hna_shows_the_wording_of_its_own_version(app, patient):
    complete_required(patient)
    patient.post_form("/hna/submit")
    with app.app_context():
        hna = db.session.scalar(select(HNA))
        version = hna.questionnaire_version
        definition = dict(version.definition)
        definition["domains"] = [dict(d) for d in definition["domains"]]
        definition["domains"][0]["items"] = [dict(i) for i in definition["domains"][0]["items"]]
        definition["version"] = version.version + 1
        for item in definition["domains"][0]["items"]:
            if item["id"] == "pain":
                item["text"] = "Pain (new wording)"
        from app.hna.questionnaire import load_questionnaire

        service.publish(load_questionnaire(definition), None)
        db.session.commit()
        hna_id, new_version = hna.id, definition["version"]
    html = patient.get(f"/hna/{hna_id}").get_data(as_text=True)
    assert "Pain (new wording)" not in html
    assert ">Pain<" in html or "Pain" in html
    # A new HNA uses the new version.
    start(patient)
    with app.app_context():
        draft = service.current_draft(db.session.get(HNA, hna_id).patient)
        assert draft.questionnaire_version.version == new_version


def test_error_messages_and_headings_render_as_text_not_code(patient):
    start(patient)
    html = patient.post_form("/hna/questions/domain-physical", {"concerns": ["pain"]}).get_data(as_text=True)
    assert "{&#39;text&#39;" not in html and "{'text'" not in html
    assert "&lt;span" not in html
    assert '<span class="nhsuk-caption-l">Physical</span>' in html


def test_markup_in_any_answer_is_escaped_everywhere_it_is_shown(app, client, actors):
    """Design-system macros must escape too: patients' text is never HTML."""
    sign_in_as(client, actors.patient_a)
    complete_required(client)
    client.post_form("/hna/questions/matters-matters_most", {"text": '<img src=x onerror="alert(1)">Family'})
    check = client.get("/hna/check").get_data(as_text=True)
    assert "<img src=x" not in check and "&lt;img src=x" in check
    client.post_form("/hna/submit")
    sign_in_as(client, actors.nurse_a)
    listing = client.get("/nurse/hnas").get_data(as_text=True)
    hna_id = re.search(r"/nurse/hnas/(\d+)", listing).group(1)
    html = client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


@pytest.mark.hazard("HAZ-009")
@pytest.mark.hazard("HAZ-001")
def test_a_ticked_fever_is_an_emergency_at_once_and_goes_to_the_top_for_the_team(app, client, actors):
    sign_in_as(client, actors.patient_a2)
    url = start(client)
    url = location(answer(client, url, {"pathway_point": "during_treatment"}))
    url = location(answer(client, url, {"distress": "1"}))
    domain_page = client.get(url).get_data(as_text=True)
    # Revealed under the tick (shown without JS): call now, in the pathway content's words.
    assert "Call now: this could be an emergency" in domain_page and "37.5°C or more" in domain_page
    url = location(answer(client, url, {"concerns": ["fever"], "score-fever": "9"}))
    while "/domain-" in url:
        url = location(answer(client, url, {"concerns": ["none"]}))
    check = client.get("/hna/check").get_data(as_text=True)
    assert "Call now: this could be an emergency" in check and 'href="tel:999"' in check
    assert "Your care team will see it the same working day" in check or "so they will see it by" in check
    client.post_form("/hna/submit")

    sign_in_as(client, actors.patient_a)
    complete_required(client)  # distress 6: high distress, but no urgent symptom
    client.post_form("/hna/submit")

    sign_in_as(client, actors.nurse_a)
    listing = client.get("/nurse/hnas").get_data(as_text=True)
    assert "Possible urgent symptom: High temperature or fever" in listing
    assert listing.index("Arthur Ames") < listing.index("Ann Able")
    hna_id = re.search(r'href="/nurse/hnas/(\d+)"', listing).group(1)
    assert "Possible emergency: High temperature or fever" in client.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)


def test_save_and_finish_later_keeps_the_page_and_goes_to_the_start(app, patient):
    start(patient)
    response = patient.post_form("/hna/questions/distress", {"distress": "3", "action": "later"})
    assert location(response).endswith("/hna")
    assert "Continue where you left off" in patient.get("/hna").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["distress"] == 3


def test_back_from_a_change_link_returns_to_check(patient):
    complete_required(patient)
    html = patient.get("/hna/questions/distress?return=check").get_data(as_text=True)
    assert 'href="/hna/check"' in html


def test_lifestyle_asks_reads_and_summarises_one_thing(app, patient, actors):
    """hna v2: the lifestyle question, its score and what the nurse reads all speak of how
    important support is, never of how much it bothered them."""
    url = start(patient)
    url = location(answer(patient, url, {"pathway_point": "end_of_treatment"}))
    url = location(answer(patient, url, {"distress": "2"}))
    while not url.endswith("/domain-lifestyle"):
        url = location(answer(patient, url, {"concerns": ["none"]}))
    page = patient.get(url).get_data(as_text=True)
    assert "Which of these would you like more information or support with?" in page
    assert "For each one, answer ‘How important is getting support with this to you?’ from 0 to 10." in page
    assert "bothered" not in page
    answer(patient, url, {"concerns": ["diet_nutrition"], "score-diet_nutrition": "3"})
    check = patient.get("/hna/check").get_data(as_text=True)
    assert "Diet and nutrition – 3 out of 10 for how important support is" in check
    complete = patient.post_form("/hna/submit")
    assert complete.status_code == 303
    sign_in_as(patient, actors.nurse_a)
    hna_id = re.search(r'href="/nurse/hnas/(\d+)"', patient.get("/nurse/hnas").get_data(as_text=True)).group(1)
    nurse_page = patient.get(f"/nurse/hnas/{hna_id}").get_data(as_text=True)
    assert "3 out of 10 for how important support is" in nurse_page


@pytest.mark.parametrize("script_root", ["", "/cancer-care"])
@pytest.mark.parametrize("steps", [
    ["point", "distress", "domain:physical", "domain:family", "top", "anything_else", "matters:matters_most"],
    ["distress", "matters:odd id/with ?&#", "domain:é", "top"],
    [],
])
def test_the_journeys_urls_are_what_url_for_builds(app, script_root, steps):
    from app.hna.routes import step_url, step_urls

    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        assert step_urls(steps) == [step_url(step) for step in steps]


@pytest.mark.hazard("HAZ-015")
def test_a_sent_assessment_goes_to_the_team_the_person_is_in_when_it_is_raised_with_that_teams_target(app, patient, actors):
    """A team move committed after the submit read the person's record, before it wrote: the
    queue item goes to the person's team of now, with that team's response target, never to a
    team whose queue no longer shows them."""
    with app.app_context():
        db.session.get(Team, actors.team_b).response_targets = {ItemKind.HNA_HIGH_DISTRESS.value: 7}
        db.session.commit()
    complete_required(patient)
    csrf = patient.csrf_token()

    with moved_just_before_the_first_write(app, actors.profile_a, actors.team_b) as moved:
        response = patient.post_form("/hna/submit", {"csrf_token": csrf})

    assert moved and response.status_code == 303 and "sent=1" in location(response)
    with app.app_context():
        (item,) = db.session.scalars(select(QueueItem)).all()
        assert item.kind is ItemKind.HNA_HIGH_DISTRESS and item.team_id == actors.team_b
        assert item.due_at == response_deadline(item.received_at, 7)
        assert item.revision == 1  # written as it is, not written and then edited
