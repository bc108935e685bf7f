"""The nurse writes and updates a plan; the patient reads it. Ownership, conflicts, audit."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.careplan import service
from app.careplan.models import CarePlan
from app.extensions import db
from app.timeutil import london_today
from app.models import AuditEvent, PatientProfile, User
from app.triage.models import ItemStatus, Outcome, QueueItem
from tests.careplan.helpers import item, make_plan, make_service, submit_hna
from tests.helpers import make_patient, shown_escaped, sign_in_as


def edit_url(actors, profile="profile_a") -> str:
    return f"/nurse/patients/{getattr(actors, profile)}/care-plan/edit"


def page(response) -> str:
    return response.get_data(as_text=True)


def plan_form(base_version=0, rows=None, review=None, **fields) -> dict:
    """What the editor posts: one row unless `rows` is given (a list of dicts of row fields),
    to be reviewed in a month unless `review` is given."""
    review = review or london_today() + timedelta(days=30)
    rows = rows if rows is not None else [{"concern": "Worry, fear or anxiety", "agreed": "Talk to someone"}]
    data = {"base_version": str(base_version), "hna_id": "", "rows": str(len(rows)),
            "review_date-day": str(review.day), "review_date-month": str(review.month),
            "review_date-year": str(review.year), "summary": "", "change_note": ""}
    for n, row in enumerate(rows):
        defaults = {"concern": "", "agreed": "", "action": "", "owner": "key_worker", "owner_name": "",
                    "support": "none", "service_id": "", "concern_id": "", "domain": ""}
        for name, value in {**defaults, **row}.items():
            data[f"item_{n}_{name}"] = value
    data.update(fields)
    return data


def versions(app, profile_id) -> list[int]:
    with app.app_context():
        return [p.version for p in service.plan_versions(db.session.get(PatientProfile, profile_id))]


def events(app, action) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def in_summary_and_beside_field(html: str, anchor: str, message: str) -> bool:
    summary = html.split('class="nhsuk-error-summary', 1)[-1].split("</div>", 1)[0]
    return f'href="#{anchor}"' in summary and message in summary and html.count(message) >= 2


# ---------------------------------------------------------------- writing a plan


def hna_with_item(app, actors, **answers) -> tuple[int, int]:
    with app.app_context():
        hna_id = submit_hna(db.session.get(PatientProfile, actors.profile_a), **answers).id
        item_id = db.session.scalar(select(QueueItem.id).where(QueueItem.source_key == f"hna:{hna_id}"))
    return hna_id, item_id


def queue_item(app, item_id) -> QueueItem:
    with app.app_context():
        return db.session.get(QueueItem, item_id)


def test_a_red_flag_is_not_closed_by_saving_a_plan(app, nurse, actors):
    """An HNA with a possible urgent symptom (breathing) raised a red flag: the nurse resolves it
    herself once she has spoken to the person, never as a side effect of the plan."""
    hna_id, item_id = hna_with_item(app, actors, scores={"breathing": 8, "worry_fear_anxiety": 9})
    assert queue_item(app, item_id).kind.value == "red_flag"
    html = page(nurse.get(f"{edit_url(actors)}?hna_id={hna_id}"))
    assert "This assessment has a possible urgent symptom: resolve it from the queue once you have spoken to Ann." in html
    assert f'href="/nurse/queue/{item_id}"' in html
    assert re.search(rf'name="resolve_item" type="checkbox" value="{item_id}"(?! checked)', html)
    # Saved as the editor sends it: the box left unticked.
    data = plan_form(rows=[{"concern": "Worry", "agreed": "Talk"}], hna_id=str(hna_id))
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    assert versions(app, actors.profile_a) == [1]
    assert queue_item(app, item_id).status is ItemStatus.OPEN
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan"))
    assert "Care plan saved. The queue item is still open." in html


def test_a_red_flag_is_closed_only_when_the_nurse_ticks_it(app, nurse, actors):
    hna_id, item_id = hna_with_item(app, actors, scores={"fever": 8}, top=["fever"])
    data = plan_form(rows=[{"concern": "Fever", "agreed": "Spoke to Ann; she is well"}], hna_id=str(hna_id),
                     resolve_item=str(item_id))
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    queued = queue_item(app, item_id)
    assert queued.status is ItemStatus.RESOLVED and queued.resolved_by_id == actors.nurse_a


def test_an_ordinary_hna_item_left_unticked_stays_open(app, nurse, actors):
    hna_id, item_id = hna_with_item(app, actors)
    data = plan_form(rows=[{"concern": "Worry", "agreed": "Talk"}], hna_id=str(hna_id))
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    assert queue_item(app, item_id).status is ItemStatus.OPEN
    assert "The queue item is still open." in page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan"))


def test_an_unrelated_queue_item_cannot_be_closed_through_the_plan(app, nurse, actors):
    _, other_item = hna_with_item(app, actors)
    hna_id, item_id = hna_with_item(app, actors)
    data = plan_form(rows=[{"concern": "Worry", "agreed": "Talk"}], hna_id=str(hna_id), resolve_item=str(other_item))
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    assert queue_item(app, other_item).status is ItemStatus.OPEN
    assert queue_item(app, item_id).status is ItemStatus.OPEN


def test_a_due_plan_review_is_offered_ticked_and_closed(app, nurse, actors):
    from app.triage import service as triage

    with app.app_context():
        plan = make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                         review_date=london_today() - timedelta(days=3))
        triage.raise_due_reviews(actors.team_a, london_today())
        db.session.commit()
        item_id = db.session.scalar(select(QueueItem.id).where(QueueItem.source_key == f"plan-review:{plan.id}"))
    html = page(nurse.get(edit_url(actors)))
    assert re.search(rf'name="resolve_item" type="checkbox" value="{item_id}" checked', html)
    data = plan_form(1, rows=[{"concern": "Worry", "agreed": "Talk"}], resolve_item=str(item_id))
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    assert queue_item(app, item_id).status is ItemStatus.RESOLVED


def test_the_editor_asks_for_plain_words_and_the_nurse_can_preview_the_patients_page(app, nurse, actors):
    html = page(nurse.get(edit_url(actors)))
    assert html.count("Ann will see this in the app. Use plain words.") == 2
    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                  [item("Pain", agreed="Try the new painkillers")], summary="We agreed a plan for pain")
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan"))
    preview = html.split('id="patient-preview"', 1)[1].split("</details>", 1)[0]
    assert "Preview what Ann will see" in preview
    assert "Your concerns and what will happen" in preview and "What you agreed" in preview
    assert "Try the new painkillers" in preview and "We agreed a plan for pain" in preview
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the preview's headings do not repeat the nurse's ids


def test_the_editor_is_prefilled_from_the_hna(app, nurse, actors):
    with app.app_context():
        hna = submit_hna(db.session.get(PatientProfile, actors.profile_a),
                         scores={"worry_fear_anxiety": 9, "tiredness": 8, "sleep": 2}, top=["worry_fear_anxiety"])
        hna_id = hna.id
    html = page(nurse.get(f"{edit_url(actors)}?hna_id={hna_id}"))
    assert "Write a care plan" in html and "Drafted from the needs assessment" in html
    assert 'value="Worry, fear or anxiety"' in html and 'value="Feeling tired, exhausted or fatigued"' in html
    assert "Sleep" not in html  # scored 2 and not chosen to talk about
    assert 'name="rows" value="2"' in html
    assert f'name="hna_id" value="{hna_id}"' in html
    assert 'name="base_version" value="0"' in html


def test_a_plan_written_from_an_hna_is_saved_audited_and_closes_the_queue_item(app, nurse, actors):
    with app.app_context():
        hna_id = submit_hna(db.session.get(PatientProfile, actors.profile_a)).id
        helpline = make_service("Hospital psychology", actors.team_a).id
        item_id = db.session.scalar(select(QueueItem.id).where(QueueItem.source_key == f"hna:{hna_id}"))
    html = page(nurse.get(f"{edit_url(actors)}?hna_id={hna_id}"))
    # An ordinary HNA item: offered, and ticked to start with.
    assert "Also mark the queue item as done (care plan agreed)" in html
    assert re.search(rf'name="resolve_item" type="checkbox" value="{item_id}" checked', html)
    data = plan_form(rows=[{"concern": "Worry, fear or anxiety", "concern_id": "worry_fear_anxiety", "domain": "emotional",
                            "agreed": "Talk to a psychologist", "action": "Referral made today",
                            "support": "referral", "service_id": str(helpline)}], hna_id=str(hna_id),
                     resolve_item=str(item_id))
    response = nurse.post_form(edit_url(actors), data)
    assert response.status_code == 303 and response.location.endswith(f"/nurse/patients/{actors.profile_a}/care-plan")
    assert versions(app, actors.profile_a) == [1]
    with app.app_context():
        plan = db.session.scalar(select(CarePlan))
        assert (plan.hna_id, plan.created_by_id, plan.items[0].service_id, plan.items[0].concern_id) == (
            hna_id, actors.nurse_a, helpline, "worry_fear_anxiety")
        queued = db.session.scalar(select(QueueItem).where(QueueItem.source_key == f"hna:{hna_id}"))
        assert queued.status is ItemStatus.RESOLVED and queued.outcome is Outcome.CARE_PLAN_AGREED
    [event] = events(app, "careplan.create_version")
    assert (event.actor_id, event.patient_id, event.detail["version"]) == (actors.nurse_a, actors.profile_a, 1)
    assert event.detail["queue_items_done"] == [item_id]
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan"))
    assert "Care plan saved. The queue item is marked as done." in html
    assert "Talk to a psychologist" in html and "Hospital psychology" in html and "Version 1" in html
    assert events(app, "careplan.view")


def test_an_update_is_a_new_version_with_its_history(app, nurse, actors):
    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                  [item("Pain", agreed="Painkillers")])
    html = page(nurse.get(edit_url(actors)))
    assert "Update the care plan" in html and 'name="base_version" value="1"' in html and 'value="Pain"' in html
    data = plan_form(1, rows=[{"concern": "Pain", "agreed": "Painkillers"}, {"concern": "Sleep", "agreed": "A routine"}],
                     change_note="Reviewed at the 3-month call")
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    assert versions(app, actors.profile_a) == [2, 1]
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan"))
    assert "Added: Sleep" in html and "Reviewed at the 3-month call" in html and "(current)" in html
    old = page(nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan/versions/1"))
    assert "This is an earlier version" in old and "Sleep" not in old
    assert events(app, "careplan.view_version")
    assert nurse.get(f"/nurse/patients/{actors.profile_a}/care-plan/versions/3").status_code == 404


@pytest.mark.hazard("HAZ-005")
def test_a_colleagues_save_is_shown_and_nothing_typed_is_lost(app, new_client, actors):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        colleague = User(role=User.role.type.enum_class.NURSE, display_name="Nurse Colleague", email="c@example.test", team=team)
        db.session.add(colleague)
        db.session.commit()
        colleague_id = colleague.id
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a), [item("Pain")])
    mine, theirs = new_client(), new_client()
    sign_in_as(mine, actors.nurse_a)
    sign_in_as(theirs, colleague_id)
    assert theirs.post_form(edit_url(actors), plan_form(1, rows=[{"concern": "Pain", "agreed": "Pain clinic referral"}])).status_code == 303
    typed = plan_form(1, rows=[{"concern": "Pain", "agreed": "My <b>careful</b> notes"}], summary="My summary")
    response = mine.post_form(edit_url(actors), typed)
    html = page(response)
    assert response.status_code == 409
    assert "Someone else changed this plan" in html and "Nurse Colleague saved version 2" in html
    assert "Pain clinic referral" in html  # what the colleague saved
    assert "My &lt;b&gt;careful&lt;/b&gt; notes" in html and "My summary" in html  # what I typed, kept
    assert 'name="base_version" value="2"' in html
    assert versions(app, actors.profile_a) == [2, 1]
    assert events(app, "careplan.save_conflict")[0].outcome == "conflict"
    # Saving again after reading theirs is deliberate: it goes on top.
    typed["base_version"] = "2"
    assert mine.post_form(edit_url(actors), typed).status_code == 303
    assert versions(app, actors.profile_a) == [3, 2, 1]


def test_a_retried_save_is_not_duplicated(app, nurse, actors):
    data = plan_form(0)
    assert nurse.post_form(edit_url(actors), data).status_code == 303
    again = nurse.post_form(edit_url(actors), data)
    assert again.status_code == 303
    assert versions(app, actors.profile_a) == [1]


def test_mistakes_are_explained_and_nothing_typed_is_lost(app, nurse, actors):
    with app.app_context():
        make_service("Hospital psychology", actors.team_a)
    yesterday = london_today() - timedelta(days=1)
    data = plan_form(review=yesterday, rows=[
        {"concern": "Worry about money", "agreed": "", "action": "Phone the advice line"},
        {"concern": "Tiredness", "agreed": "Rest", "owner": "other"},
        {"concern": "Sleep", "agreed": "Routine", "support": "referral"},
    ])
    response = nurse.post_form(edit_url(actors), data)
    html = page(response)
    assert response.status_code == 200 and "Error: " in html
    assert in_summary_and_beside_field(html, "item_0_agreed", "Enter what you agreed about ‘Worry about money’")
    assert in_summary_and_beside_field(html, "item_1_owner_name", "Enter who will do it for concern 2")
    assert in_summary_and_beside_field(html, "item_2_service_id", "Select the service for concern 3")
    assert in_summary_and_beside_field(html, "review_date-day", "Review date must be in the future")
    for anchor in re.findall(r'href="#([^"]+)"', html):  # every link in the summary reaches its box
        assert f'id="{anchor}"' in html, anchor
    assert 'value="Worry about money"' in html and "Phone the advice line" in html
    assert f'value="{yesterday.day}"' in html
    assert versions(app, actors.profile_a) == []


def test_an_empty_plan_asks_for_a_concern_and_a_review_date(nurse, actors):
    html = page(nurse.post_form(edit_url(actors), {"base_version": "0", "rows": "1"}))
    assert in_summary_and_beside_field(html, "item_0_concern", "Enter at least one concern you discussed")
    assert in_summary_and_beside_field(html, "review_date-day", "Enter a review date")


def test_without_services_a_referral_says_what_to_do_instead(app, nurse, actors):
    data = plan_form(rows=[{"concern": "Worry", "agreed": "Talk", "support": "referral"}])
    html = page(nurse.post_form(edit_url(actors), data))
    assert in_summary_and_beside_field(html, "item_0_support", "There are no services in the directory to choose for concern 1")
    assert "There are no services in the directory yet" in html


def test_a_service_of_another_team_cannot_be_chosen(app, nurse, actors):
    with app.app_context():
        make_service("Hospital psychology", actors.team_a)
        other = make_service("Team B psychology", actors.team_b).id
    data = plan_form(rows=[{"concern": "Worry", "agreed": "Talk", "support": "signposting", "service_id": str(other)}])
    html = page(nurse.post_form(edit_url(actors), data))
    assert "Select a service from the list for concern 1" in html
    assert versions(app, actors.profile_a) == []


def test_add_another_concern_keeps_everything_and_saves_nothing(app, nurse, actors):
    data = plan_form(rows=[{"concern": "Pain", "agreed": "Painkillers", "owner": "gp"}], add_row="1")
    response = nurse.post_form(edit_url(actors), data)
    html = page(response)
    assert response.status_code == 200 and "There is a problem" not in html
    assert 'name="rows" value="2"' in html and "Concern 2" in html
    assert 'value="Pain"' in html and "Painkillers" in html
    assert re.search(r'name="item_0_owner" type="radio" value="gp" checked|value="gp" checked', html)
    assert versions(app, actors.profile_a) == []
    # The empty extra row is ignored on saving; a removed one is left out.
    rows = [{"concern": "Pain", "agreed": "Painkillers"}, {"concern": "Sleep", "agreed": "x", "remove": "yes"}, {}]
    assert nurse.post_form(edit_url(actors), plan_form(rows=rows)).status_code == 303
    with app.app_context():
        assert [i.concern for i in db.session.scalar(select(CarePlan)).items] == ["Pain"]


# ---------------------------------------------------------------- who may see what


def test_another_teams_patient_is_404_on_every_nurse_route_and_audited(app, client, actors):
    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_b), db.session.get(User, actors.nurse_b))
    sign_in_as(client, actors.nurse_a)
    base = f"/nurse/patients/{actors.profile_b}/care-plan"
    for method, url in [("GET", base), ("GET", base + "/edit"), ("POST", base + "/edit"), ("GET", base + "/versions/1")]:
        response = client.open(url, method=method, data=plan_form(0), headers={"X-CSRFToken": client.csrf_token()})
        assert response.status_code == 404, url
        assert "Baker" not in page(response)
    with app.app_context():
        refused = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.outcome == "refused", AuditEvent.actor_id == actors.nurse_a))
    assert refused == 4
    assert versions(app, actors.profile_b) == [1]


def test_an_hna_of_another_patient_cannot_be_used(app, nurse, actors):
    with app.app_context():
        same_team = submit_hna(db.session.get(PatientProfile, actors.profile_a2)).id
        other_team = submit_hna(db.session.get(PatientProfile, actors.profile_b)).id
    for hna_id in (same_team, other_team, 999999):
        assert nurse.get(f"{edit_url(actors)}?hna_id={hna_id}").status_code == 404
        assert nurse.post_form(edit_url(actors), plan_form(hna_id=str(hna_id))).status_code == 404
    assert nurse.get(f"{edit_url(actors)}?hna_id=abc").status_code == 404
    assert versions(app, actors.profile_a) == []


@pytest.mark.hazard("HAZ-006")
def test_the_patient_sees_their_own_current_plan_and_what_changed(app, new_client, actors):
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        helpline = make_service("Hospital psychology", actors.team_a, phone="020 7946 0123").id
        make_plan(patient, nurse, [item("Pain", agreed="Painkillers")])
    own = new_client()
    sign_in_as(own, actors.patient_a)
    assert "This is your first plan." in page(own.get("/my-care/plan"))
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        make_plan(patient, nurse, [item("Pain", agreed="Painkillers"),
                                   item("Worry", agreed="Talk to someone", support=service.Support.REFERRAL, service_id=helpline)],
                  change_note="After our phone call")
    html = page(own.get("/my-care/plan"))
    assert "Your care and support plan" in html
    assert "What changed since you last looked at your plan" in html and "Added: Worry." in html
    assert "After our phone call" in html
    assert "We have referred you to" in html and 'href="tel:02079460123"' in html
    assert 'href="https://example.org/support"' in html
    assert events(app, "careplan.patient_view")[0].patient_id == actors.profile_a
    home = page(own.get("/my-care"))
    assert "/my-care/plan" in home and "Updated on" in home

    other = new_client()
    sign_in_as(other, actors.patient_a2)
    html = page(other.get("/my-care/plan"))
    assert "You do not have a care and support plan yet" in html and "Painkillers" not in html


def test_the_patients_page_is_made_from_its_kept_shape_with_their_values_put_in(app, new_client, actors, monkeypatch):
    """Rendered once per shape and kept (app/careplan/patient_view.py, the components' memo): a
    view of the same shape renders the page's macro no more, as long as every personal value it
    is given is shown whole, and another version's words go into it, escaped."""
    module = app.jinja_env.get_template("careplan/_patient_page.html").module
    rendered = []
    monkeypatch.setattr(module, "plan_page", lambda page, _macro=module.plan_page: rendered.append(page) or _macro(page))
    referral = service.Support.REFERRAL
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        helpline = make_service("Hospital psychology", actors.team_a, phone="020 7946 0123").id
        make_plan(patient, nurse, [item("Pain", agreed="Painkillers"),
                                   item("Worry", agreed="Talk", support=referral, service_id=helpline)])
    own = new_client()
    sign_in_as(own, actors.patient_a)
    own.get("/my-care/plan")
    own.get("/my-care/plan")  # the shape of a plan looked at before, with nothing changed since
    rendered_before = len(rendered)
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        make_plan(patient, nurse, [item("Pain & <tiredness>", agreed="Rest"),
                                   item("Worry", agreed="Talk more", support=referral, service_id=helpline)])
    own.get("/my-care/plan")  # what changed: a shape of its own
    html = page(own.get("/my-care/plan"))
    assert len(rendered) == rendered_before + 1
    assert "Pain &amp; &lt;tiredness&gt;" in html and "Talk more" in html and 'href="tel:02079460123"' in html
    assert "Painkillers" not in html


def test_the_patient_sees_every_change_since_they_last_looked(app, new_client, actors):
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        first = make_service("Hospital psychology", actors.team_a).id
        second = make_service("Maggie's centre", actors.team_a).id
        referral = service.Support.REFERRAL
        make_plan(patient, nurse, [item("Worry", agreed="Talk", support=referral, service_id=first)],
                  review_date=date(2030, 1, 10))
    own = new_client()
    sign_in_as(own, actors.patient_a)
    own.get("/my-care/plan")  # she reads version 1
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        # Two updates she has not seen yet: the second alone would hide the first.
        make_plan(patient, nurse, [item("Worry", agreed="Talk", support=referral, service_id=second),
                                   item("Pain", agreed="Painkillers")], review_date=date(2030, 1, 10))
        make_plan(patient, nurse, [item("Worry", agreed="Talk", support=referral, service_id=second),
                                   item("Pain", agreed="Painkillers")], review_date=date(2027, 3, 3))
    html = page(own.get("/my-care/plan"))
    changed = html.split("What changed since you last looked at your plan", 1)[1].split("</div>", 1)[0]
    assert "Added: Pain." in changed
    assert "Worry: your referral changed from Hospital psychology to Maggie&#39;s centre." in changed
    assert "Your review date moved to 3 March 2027." in changed
    # Looking again does not lose what changed since the version she had seen before.
    assert "Added: Pain." in page(own.get("/my-care/plan"))
    with app.app_context():
        seen = [p.seen_by_patient_at is not None for p in service.plan_versions(db.session.get(PatientProfile, actors.profile_a))]
        assert seen == [True, False, True]  # newest first: version 2 was never opened


def test_a_patient_who_never_looked_sees_everything_as_new(app, new_client, actors):
    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        make_plan(patient, nurse, [item("Pain")])
        make_plan(patient, nurse, [item("Pain"), item("Sleep")])
    own = new_client()
    sign_in_as(own, actors.patient_a)
    html = page(own.get("/my-care/plan"))
    assert "everything in it is new to you" in html and "What changed since" not in html


def test_staff_cannot_open_the_patients_page(nurse):
    assert nurse.get("/my-care/plan").status_code == 404


def test_free_text_is_escaped_everywhere(app, new_client, actors):
    nasty = "<script>alert('x')</script>"
    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                  [item(nasty, agreed=nasty, action=nasty, owner_name=nasty)], summary=nasty, change_note=nasty)
    patient, nurse = new_client(), new_client()
    sign_in_as(patient, actors.patient_a)
    sign_in_as(nurse, actors.nurse_a)
    # Every page that shows the plan's words (the home pages show only its status).
    for client, url in [(patient, "/my-care/plan"),
                        (nurse, f"/nurse/patients/{actors.profile_a}/care-plan"),
                        (nurse, f"/nurse/patients/{actors.profile_a}/care-plan/versions/1"),
                        (nurse, f"/nurse/patients/{actors.profile_a}/care-plan/edit")]:
        assert shown_escaped(page(client.get(url)), nasty), url


def test_the_nurses_patient_page_shows_the_plan_status(app, nurse, actors):
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "No care plan yet" in html and "Write a care plan" in html
    with app.app_context():
        make_plan(db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a),
                  review_date=date(2031, 4, 2))
    html = page(nurse.get(f"/nurse/patients/{actors.profile_a}"))
    assert "Version 1" in html and "2 April 2031" in html and "View the care plan" in html


def test_a_team_member_sees_a_new_patient_has_no_plan(app, nurse, actors):
    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        newcomer = make_patient(team, "Nia", "New")
        db.session.commit()
        newcomer_id = newcomer.id
    html = page(nurse.get(f"/nurse/patients/{newcomer_id}/care-plan"))
    assert "does not have a care and support plan yet" in html


@pytest.mark.parametrize("looked_at_first", [False, True])
def test_the_patients_page_reads_the_plan_and_the_version_last_seen_in_one_statement_each(app, actors, looked_at_first):
    """The current version and the newest earlier one the person opened, each with its items and
    their services (the page names them), with nothing read later: one statement, and one more
    only when there is an earlier version they opened (issue 12)."""
    from app.timeutil import utcnow
    from tests.test_query_counts import counting_statements

    with app.app_context():
        patient, nurse = db.session.get(PatientProfile, actors.profile_a), db.session.get(User, actors.nurse_a)
        helpline = make_service("Hospital psychology", actors.team_a).id
        first = make_plan(patient, nurse, [item("Worry", support=service.Support.REFERRAL, service_id=helpline)])
        if looked_at_first:
            first.seen_by_patient_at = utcnow()
        make_plan(patient, nurse, [item("Worry", support=service.Support.REFERRAL, service_id=helpline), item("Pain")])
        # Someone else's plans, opened: never this person's.
        other = db.session.get(PatientProfile, actors.profile_a2)
        make_plan(other, nurse, [item("Sleep")]).seen_by_patient_at = utcnow()
        make_plan(other, nurse, [item("Sleep")])
        db.session.commit()
        db.session.expire_all()
        patient = db.session.get(PatientProfile, actors.profile_a)
        with counting_statements() as statements:
            plan, seen = service.plan_for_patient_page(patient)
            names = [(i.concern, i.service.name if i.service else None) for i in plan.items]
            seen_names = [(i.concern, i.service.name if i.service else None) for i in seen.items] if seen else None
        assert (plan.patient_id, plan.version, plan.is_current) == (actors.profile_a, 2, True)
        assert names == [("Worry", "Hospital psychology"), ("Pain", None)]
        if looked_at_first:
            assert (seen.patient_id, seen.version, seen_names) == (actors.profile_a, 1, [("Worry", "Hospital psychology")])
        else:
            assert seen is None
        assert len(statements) == 1 + looked_at_first
