"""Post/redirect/get: every form post that works answers 303 See Other, so Back and Reload never
send it again. The walk covers every POST route of the app: each is here with a submission that
works, or listed with why it answers otherwise (JSON for scripts) or where it is proved.
A new POST route fails `test_every_post_route_is_walked` until it is added."""
from __future__ import annotations

import json
import re

import pytest

from app.extensions import db
from app.models import PatientProfile, User
from app.symptoms.service import SymptomDetails, log_symptom
from app.timeutil import london_today
from app.triage import service as triage
from tests.admin.test_questionnaires import next_version
from tests.admin.test_services import VALID as SERVICE
from tests.careplan.helpers import make_service
from tests.careplan.test_routes import plan_form
from tests.followup.test_follow_up import plan_data, surveillance_data
from tests.followup.test_summaries import gp_copy_data, summary_data
from tests.helpers import sign_in_as
from tests.symptoms.helpers import symptom_form
from tests.nurse.test_edit_patient import form_for
from tests.results.helpers import flagged_result, make_psa
from tests.results.test_nurse_results import result_data
from tests.nurse.test_patients import VALID as NEW_PATIENT
from tests.triage.helpers import item

# Scripts' endpoints: they answer JSON (their own success and error shapes), never a page.
JSON_ROUTES = {
    "auth.passkey_add_options", "auth.passkey_add_verify", "auth.enrol_passkey_options",
    "auth.enrol_passkey_verify", "auth.sign_in_options", "auth.sign_in_verify", "auth.keep_alive",
    "hna.api_save", "hna.api_submit", "symptoms.api_log", "reentry.api_ask", "messages.api_send",
    "push.subscribe", "push.unsubscribe", "push.this_phone",
}
# Form posts whose success needs a ceremony (a passkey, an invitation, a password, demo mode, a
# whole HNA): each success is proved a 303 in the test named.
PROVED_ELSEWHERE = {
    "auth.passkey_remove": "tests/auth/test_passkeys.py",
    "auth.passkey_rename": "tests/auth/test_passkeys.py",
    "auth.demo_sign_in": "tests/test_demo.py",
    "auth.enrol_code": "tests/auth/test_enrolment.py",
    "auth.enrol_date_of_birth": "tests/auth/test_enrolment.py",
    "auth.enrol_password": "tests/auth/test_password_fallback.py",
    "auth.enrol_switch_account": "tests/auth/test_enrolment.py",
    "auth.sign_in_password": "tests/auth/test_password_fallback.py",
    "hna.question": "tests/hna/test_journey.py",
    "hna.submit": "tests/hna/test_journey.py",
    # A self-managed person's open access, a sent request or a started thread first.
    "reentry.ask": "tests/reentry/test_routes.py",
    "reentry.nurse_request": "tests/reentry/test_routes.py",
    "messages.start": "tests/messages/test_messages.py",
    "messages.nurse_thread": "tests/messages/test_messages.py",
    "messages.patient_thread": "tests/messages/test_messages.py",
}


def _queue_item(app, actors, claimed=False) -> int:
    with app.app_context():
        made = item(actors.profile_a)
        if claimed:
            triage.claim(made, db.session.get(User, actors.nurse_a), made.revision)
            db.session.commit()
        return made.id


def _push_subscription(app, actors) -> int:
    with app.app_context():
        from app.push.models import PushSubscription

        subscription = PushSubscription(user_id=actors.patient_a, endpoint="https://fcm.googleapis.com/fcm/send/prg",
                                        endpoint_hash="prg", p256dh="key", auth="secret", device_label="Phone")
        db.session.add(subscription)
        db.session.commit()
        return subscription.id


def _service(app) -> int:
    with app.app_context():
        return make_service("Riverside Psychology Service").id


def _symptom(app, actors) -> int:
    with app.app_context():
        entry = log_symptom(db.session.get(PatientProfile, actors.profile_a), SymptomDetails(
            "tiredness", None, "mild", london_today(), False, None))
        db.session.commit()
        return entry.id


def _summary_to_send(client, actors) -> dict:
    assert client.post_form(f"/nurse/patients/{actors.profile_a}/treatment-summary/edit", summary_data()).status_code == 303
    return gp_copy_data()


def _psa(app, actors) -> int:
    with app.app_context():
        return make_psa(actors.profile_a, actors.nurse_a).id


def _import_confirmation(app, actors) -> dict:
    from app.models import PatientProfile

    with app.app_context():
        make_psa(actors.profile_a, actors.nurse_a)
        number = db.session.get(PatientProfile, actors.profile_a).nhs_number
    text = f"nhs_number,test,value,unit,date\n{number},PSA blood test,2.1,ng/mL,{london_today().isoformat()}\n"
    return {"action": "confirm", "import-csv": text, "import-token": "import-token-0123456789"}


def _flagged(app, actors) -> dict:
    with app.app_context():
        test = make_psa(actors.profile_a, actors.nurse_a)
        return {"result_id": str(flagged_result(test, actors.nurse_a).id)}


def _form_as_shown(client, path: str) -> dict:
    """Every input the page's form would send back unchanged (hidden ones too)."""
    body = client.get(path).get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', body))
    data.pop("csrf_token", None)
    return data


# endpoint -> (who posts, a submission that works: (app, actors, client) -> (path, data))
SUCCESSES = {
    "nurse.new_patient": ("nurse", lambda app, a, c: ("/nurse/patients/new", NEW_PATIENT)),
    "nurse.edit_patient": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/edit", form_for(c, a.profile_a, phone="07700 900 555"))),
    "nurse.offer_hna": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/offer-hna", {"pathway_point": "end_of_treatment"})),
    "nurse.reinvite": ("nurse", lambda app, a, c: (f"/nurse/patients/{a.profile_a}/invitation", {})),
    "nurse.queue_claim": ("nurse", lambda app, a, c: (f"/nurse/queue/{_queue_item(app, a)}/claim", {"revision": "1"})),
    "nurse.queue_release": ("nurse", lambda app, a, c: (
        f"/nurse/queue/{_queue_item(app, a, claimed=True)}/release", {"revision": "2"})),
    "nurse.queue_assign": ("nurse", lambda app, a, c: (
        f"/nurse/queue/{_queue_item(app, a)}/assign", {"revision": "1", "assignee": str(a.nurse_a)})),
    "nurse.queue_resolve": ("nurse", lambda app, a, c: (
        f"/nurse/queue/{_queue_item(app, a)}/resolve", {"revision": "1", "outcome": "phoned", "note": ""})),
    "careplan.edit": ("nurse", lambda app, a, c: (f"/nurse/patients/{a.profile_a}/care-plan/edit", plan_form())),
    "followup.nurse_follow_up": ("nurse", lambda app, a, c: (f"/nurse/patients/{a.profile_a}/follow-up", plan_data())),
    "followup.nurse_test": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/follow-up/test", surveillance_data())),
    "results.nurse_record": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/results/record", result_data(_psa(app, a)))),
    "results.nurse_rule": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/results/tests/{_psa(app, a)}/safe-range",
        {"rule-rule_version": "1", "rule-unit": "ng/mL", "rule-upper_limit": "3.5"})),
    "results.nurse_sample": ("nurse", lambda app, a, c: (f"/nurse/patients/{a.profile_a}/results/sample", {
        "sample-test": str(_psa(app, a)), "sample-token": "sample-token-0123456789", "sample-taken_on-day": "1",
        "sample-taken_on-month": "1", "sample-taken_on-year": "2026"})),
    "results.nurse_import": ("nurse", lambda app, a, c: ("/nurse/results/import", _import_confirmation(app, a))),
    "results.nurse_results": ("nurse", lambda app, a, c: (f"/nurse/patients/{a.profile_a}/results", _flagged(app, a))),
    "followup.edit_summary": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/treatment-summary/edit", summary_data())),
    "followup.record_summary_gp_copy": ("nurse", lambda app, a, c: (
        f"/nurse/patients/{a.profile_a}/treatment-summary/gp-copy", _summary_to_send(c, a))),
    "admin.teams": ("admin", lambda app, a, c: ("/admin/teams", {"name": "Lung Cancer CNS Team"})),
    "admin.team": ("admin", lambda app, a, c: (f"/admin/teams/{a.team_a}", _form_as_shown(c, f"/admin/teams/{a.team_a}"))),
    "admin.staff": ("admin", lambda app, a, c: ("/admin/staff", {
        "display_name": "Nadia Nurse", "email": "nadia.nurse@nhs.net", "role": "nurse", "team_id": str(a.team_a)})),
    "admin.set_active": ("admin", lambda app, a, c: (f"/admin/users/{a.nurse_a}/active", {"active": "0"})),
    "admin.end_sessions": ("admin", lambda app, a, c: (f"/admin/users/{a.nurse_a}/end-sessions", {})),
    "admin.staff_reinvite": ("admin", lambda app, a, c: (f"/admin/users/{a.nurse_a}/invitation", {})),
    "admin.user_team": ("admin", lambda app, a, c: (
        f"/admin/users/{a.patient_a}/team", {"team_id": str(a.team_b), "version": "1", "confirmed": "1"})),
    "admin.service_new": ("admin", lambda app, a, c: ("/admin/services/new", SERVICE)),
    "admin.service_edit": ("admin", lambda app, a, c: (
        f"/admin/services/{_service(app)}", {**SERVICE, "version": "1", "hours": "Weekdays"})),
    "admin.questionnaires": ("admin", lambda app, a, c: (
        "/admin/questionnaires", {"definition": json.dumps(next_version(app))})),
    "hna.begin": ("patient", lambda app, a, c: ("/hna/start", {})),
    "symptoms.new": ("patient", lambda app, a, c: ("/my-care/symptoms/new", _form_as_shown(c, "/my-care/symptoms/new") | symptom_form())),
    "symptoms.edit": ("patient", lambda app, a, c: (
        f"/my-care/symptoms/{_symptom(app, a)}/edit", symptom_form(symptom="joint_aches") | {"version": "1"})),
    "symptoms.remove": ("patient", lambda app, a, c: (f"/my-care/symptoms/{_symptom(app, a)}/remove", {})),
    "push.settings": ("patient", lambda app, a, c: (
        "/my-care/notifications", {"kinds": "team_reply", "quiet_start": "21:00", "quiet_end": "08:00"})),
    "push.remove_device": ("patient", lambda app, a, c: (
        f"/my-care/notifications/devices/{_push_subscription(app, a)}/remove", {})),
    "auth.sign_out": ("patient", lambda app, a, c: ("/sign-out", {})),
    "auth.sign_out_everywhere": ("patient", lambda app, a, c: ("/sign-out-everywhere", {})),
}


def _post_routes(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_route_is_walked(app):
    covered = set(SUCCESSES) | JSON_ROUTES | set(PROVED_ELSEWHERE)
    assert _post_routes(app) - covered == set(), "add the new POST route to SUCCESSES (or say why not)"
    assert covered - _post_routes(app) == set(), "a route listed here no longer exists"


@pytest.mark.parametrize("endpoint", sorted(SUCCESSES))
def test_a_form_post_that_works_answers_303_see_other(app, client, actors, endpoint):
    who, submission = SUCCESSES[endpoint]
    sign_in_as(client, {"nurse": actors.nurse_a, "admin": actors.admin, "patient": actors.patient_a}[who])
    path, data = submission(app, actors, client)
    response = client.post_form(path, dict(data))
    assert response.status_code == 303, (endpoint, response.status_code, response.get_data(as_text=True)[:300])
    assert response.location


def test_a_redirect_after_a_get_is_left_as_it_is(app, client):
    assert client.get("/nurse/patients").status_code == 302  # to sign in: nothing was posted


def test_a_post_answered_with_its_form_again_marks_the_page_for_the_browser_history(app, client, actors):
    """static/js/app.js turns such a page into an ordinary history entry (see the browser test in
    tests/e2e/test_care_plan.py); a page shown by GET is not marked."""
    sign_in_as(client, actors.nurse_a)
    with_mistake = client.post_form(f"/nurse/patients/{actors.profile_a}/care-plan/edit", plan_form(
        rows=[{"concern": "Tiredness", "agreed": ""}]))
    assert with_mistake.status_code == 200 and "There is a problem" in with_mistake.get_data(as_text=True)
    assert "data-answers-post" in with_mistake.get_data(as_text=True)
    # In the head and not deferred, so it has run before a quick second post can be made.
    assert re.search(r'<script src="/static/js/answers-post\.[0-9a-f]{12}\.js"', with_mistake.get_data(as_text=True))
    shown = client.get(f"/nurse/patients/{actors.profile_a}/care-plan/edit").get_data(as_text=True)
    assert "data-answers-post" not in shown and "answers-post.js" not in shown
