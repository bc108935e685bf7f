"""Nobody reaches what is not theirs: a walk over every route in the app.

The rules come from `app.url_map`, so a new route is covered the day it is added. A rule whose
URL carries an identifier is requested by patient A, nurse A (team A) and the admin (who belongs
to no team) with identifiers that belong to someone else, with every method it accepts: each
answer must be 404, show nothing of the other person, and leave an audit event. A rule with two
identifiers is also walked with them mixed (her own patient, another patient's care plan
version), since a record read without checking its parent only shows up in a mix. The same URLs
with the person's own identifiers answer 200 to someone, so the 404s are about ownership and not
a broken URL.

Identifiers also travel in query strings, forms and JSON bodies: those are walked from CARRIED
the same way, and `test_every_identifier_read_from_a_request_is_walked_or_exempt` reads the
app's source so that a new one is listed the day it is added. Every link on every page must open
for the person it was shown to (which keeps drafts out of the nurse's lists), and an
Idempotency-Key is never one person's to replay to another.

A new blueprint adds the identifiers its URLs take to ARGUMENTS (one line each: how to find
something the person may reach, and something they may not); a route the walk cannot exercise
goes in EXEMPT with the reason. A rule with an argument in neither fails
`test_every_rule_with_arguments_is_walked_or_exempt`.
"""
from __future__ import annotations

import ast
import inspect
import itertools
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode, urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.idempotency import idempotent
from app.models import AuditEvent, Invitation, PasskeyCredential, PatientProfile, Role, User
from app.timeutil import london_today, utcnow
from tests.helpers import Actors, sign_in_as

PATIENT_A, NURSE_A, ADMIN = "patient_a", "nurse_a", "admin"
ROLE_OF = {PATIENT_A: Role.PATIENT, NURSE_A: Role.NURSE, ADMIN: Role.ADMIN}
# HEAD answers like GET, and OPTIONS only lists the methods: neither reaches a view.
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class World:
    """The seeded people, plus records made on demand (inside an app context)."""

    actors: Actors
    made: dict = field(default_factory=dict)

    def user(self, who: str) -> int:
        return getattr(self.actors, who)

    def passkey(self, who: str) -> int:
        """A passkey credential belonging to `who`."""
        key = ("passkey", who)
        if key not in self.made:
            credential = PasskeyCredential(
                user_id=self.user(who), credential_id=f"credential-of-{who}".encode(),
                public_key=b"not-a-real-key", name=f"Phone of {who}",
            )
            db.session.add(credential)
            db.session.commit()
            self.made[key] = credential.id
        return self.made[key]

    def care_plan_version(self, profile_id: int, versions: int = 1) -> int:
        """The newest version number of a care plan the patient's nurse wrote `versions` times."""
        key = ("care-plan", profile_id)
        if key not in self.made:
            from datetime import timedelta

            from app.careplan import service
            from app.careplan.service import ItemInput

            patient = db.session.get(PatientProfile, profile_id)
            nurse = next(u for u in patient.team.members if u.role is Role.NURSE)
            for shown in range(versions):
                plan = service.save_new_version(
                    patient, shown, [ItemInput(concern="Tiredness", agreed=f"Rest, version {shown + 1}")],
                    london_today() + timedelta(days=90), None, None, None, nurse,
                )
                db.session.commit()
            self.made[key] = plan.version
        return self.made[key]

    def summary_version(self, profile_id: int, versions: int = 1) -> int:
        """The newest version number of an End of Treatment Summary written `versions` times."""
        key = ("summary", profile_id)
        if key not in self.made:
            from app.followup.models import EndOfTreatmentSummary

            patient = db.session.get(PatientProfile, profile_id)
            nurse = next(u for u in patient.team.members if u.role is Role.NURSE)
            for version in range(1, versions + 1):
                db.session.add(EndOfTreatmentSummary(
                    patient_id=patient.id, team_id=patient.team_id, version=version,
                    is_current=version == versions, diagnosis=f"Diagnosis, version {version}", created_by_id=nurse.id,
                ))
            db.session.commit()
            self.made[key] = versions
        return self.made[key]

    def surveillance_test(self, profile_id: int) -> int:
        """A test in the patient's surveillance schedule."""
        key = ("surveillance-test", profile_id)
        if key not in self.made:
            from datetime import date

            from app.followup.models import SurveillanceTest

            test = SurveillanceTest(patient_id=profile_id, name="CT scan", interval_months=6,
                                    next_due=date(2027, 6, 1))
            db.session.add(test)
            db.session.commit()
            self.made[key] = test.id
        return self.made[key]

    def test_result(self, profile_id: int) -> int:
        """A result of a test in the patient's schedule, waiting for a nurse's review."""
        key = ("test-result", profile_id)
        if key not in self.made:
            from datetime import date

            from app.results.models import TestResult

            patient = db.session.get(PatientProfile, profile_id)
            nurse = next(u for u in patient.team.members if u.role is Role.NURSE)
            result = TestResult(surveillance_test_id=self.surveillance_test(profile_id), patient_id=profile_id,
                                value=5, unit="ng/mL", taken_on=date(2026, 1, 5), resulted_on=date(2026, 1, 8),
                                abnormal=True, needs_review=True, recorded_by_id=nurse.id)
            db.session.add(result)
            db.session.commit()
            self.made[key] = result.id
        return self.made[key]

    def draft_hna(self, profile_id: int) -> int:
        """A Holistic Needs Assessment the patient has started and not sent (after a sent one)."""
        key = ("draft-hna", profile_id)
        if key not in self.made:
            from app.hna import service

            self.submitted_hna(profile_id)
            self.made[key] = service.start_or_resume(db.session.get(PatientProfile, profile_id)).id
            db.session.commit()
        return self.made[key]

    def submitted_hna(self, profile_id: int) -> int:
        """A Holistic Needs Assessment that the patient has sent to their team."""
        key = ("hna", profile_id)
        if key not in self.made:
            from app.hna import service
            from app.hna.models import HNAStatus

            hna = service.start_or_resume(db.session.get(PatientProfile, profile_id))
            hna.status, hna.submitted_at = HNAStatus.SUBMITTED, utcnow()
            db.session.commit()
            self.made[key] = hna.id
        return self.made[key]

    def symptom_entry(self, profile_id: int) -> int:
        """A symptom the patient logged (a watch symptom, so it raises no queue item)."""
        key = ("symptom-entry", profile_id)
        if key not in self.made:
            from app.symptoms import service
            from app.symptoms.service import SymptomDetails

            entry = service.log_symptom(db.session.get(PatientProfile, profile_id), SymptomDetails(
                "tiredness", None, "mild", london_today(), False, None))
            db.session.commit()
            self.made[key] = entry.id
        return self.made[key]

    def reentry_request(self, profile_id: int) -> int:
        """A request to be seen that the patient sent (with its queue item)."""
        key = ("reentry", profile_id)
        if key not in self.made:
            from app.reentry.models import ContactMethod, ContactTime
            from app.reentry.service import ask

            patient = db.session.get(PatientProfile, profile_id)
            asked = ask(patient, patient.user, f"walk-token-{profile_id:08d}", "A new lump", ContactMethod.MESSAGE,
                        ContactTime.ANY, None)
            db.session.commit()
            self.made[key] = asked.request.id
        return self.made[key]

    def message_thread(self, profile_id: int) -> int:
        """A thread a nurse started on the patient's queue item."""
        key = ("thread", profile_id)
        if key not in self.made:
            from app.messages.service import start_thread
            from app.triage.models import QueueItem

            item = db.session.get(QueueItem, self.queue_item(profile_id))
            nurse = next(u for u in item.patient.team.members if u.role is Role.NURSE)
            self.made[key] = start_thread(item, nurse).id
            db.session.commit()
        return self.made[key]

    def push_subscription(self, who: str) -> int:
        """A phone of `who` subscribed to notifications."""
        key = ("push-subscription", who)
        if key not in self.made:
            from app.push.models import PushSubscription
            endpoint = f"https://fcm.googleapis.com/fcm/send/walk-{who}"
            subscription = PushSubscription(user_id=self.user(who), endpoint=endpoint, endpoint_hash=f"walk-{who}",
                                            p256dh="not-a-real-key", auth="not-a-secret", device_label="Phone")
            db.session.add(subscription)
            db.session.commit()
            self.made[key] = subscription.id
        return self.made[key]

    def queue_item(self, profile_id: int) -> int:
        """An open item in the patient's team queue."""
        key = ("queue-item", profile_id)
        if key not in self.made:
            from app.triage.queue import ItemKind
            from app.triage.service import raise_item

            item = raise_item(db.session.get(PatientProfile, profile_id), ItemKind.REENTRY,
                              "Worried about a new symptom", f"walk:{profile_id}")
            db.session.commit()
            self.made[key] = item.id
        return self.made[key]


@dataclass(frozen=True)
class Argument:
    own: Callable[[World, str], object]  # something `who` may reach
    # Something that belongs to someone else; None when nothing of the kind is out of `who`'s reach.
    foreign: Callable[[World, str], object]


ARGUMENTS: dict[str, Argument] = {
    "patient_id": Argument(
        own=lambda w, who: w.actors.profile_a,  # patient A: nurse A's team
        foreign=lambda w, who: w.actors.profile_b,  # team B's patient
    ),
    "credential_id": Argument(
        own=lambda w, who: w.passkey(who),
        foreign=lambda w, who: w.passkey("patient_b"),
    ),
    "user_id": Argument(
        # Admins manage every account by design; nobody else manages any.
        own=lambda w, who: w.actors.patient_a,
        foreign=lambda w, who: None if who == ADMIN else w.actors.nurse_b,
    ),
    "version": Argument(
        # A care plan version is reached through its patient: patient A's plan, patient B's. B's
        # has a version A's has not, so that A's patient with B's version finds B's plan if a
        # version is ever read without its patient.
        own=lambda w, who: w.care_plan_version(w.actors.profile_a),
        foreign=lambda w, who: w.care_plan_version(w.actors.profile_b, versions=2),
    ),
    "hna_id": Argument(
        own=lambda w, who: w.submitted_hna(w.actors.profile_a),
        foreign=lambda w, who: w.submitted_hna(w.actors.profile_b),
    ),
    "team_id": Argument(
        # Admins manage every team's contacts by design; nobody else manages any.
        own=lambda w, who: w.actors.team_a,
        foreign=lambda w, who: None if who == ADMIN else w.actors.team_b,
    ),
    "item_id": Argument(
        own=lambda w, who: w.queue_item(w.actors.profile_a),
        foreign=lambda w, who: w.queue_item(w.actors.profile_b),
    ),

    "entry_id": Argument(
        own=lambda w, who: w.symptom_entry(w.actors.profile_a),
        foreign=lambda w, who: w.symptom_entry(w.actors.profile_b),
    ),
    "thread_id": Argument(
        own=lambda w, who: w.message_thread(w.actors.profile_a),
        foreign=lambda w, who: w.message_thread(w.actors.profile_b),
    ),
    "request_id": Argument(
        own=lambda w, who: w.reentry_request(w.actors.profile_a),
        foreign=lambda w, who: w.reentry_request(w.actors.profile_b),
    ),
    "subscription_id": Argument(
        own=lambda w, who: w.push_subscription(who),
        foreign=lambda w, who: w.push_subscription("patient_b"),
    ),
    "test_id": Argument(
        own=lambda w, who: w.surveillance_test(w.actors.profile_a),
        foreign=lambda w, who: w.surveillance_test(w.actors.profile_b),
    ),
    # Identifiers sent beside a patient's URL are walked with another patient's record from the
    # same team as well: the nurse may open that record by itself, never through this patient.
    "hna_id_in_team": Argument(
        own=lambda w, who: w.submitted_hna(w.actors.profile_a),
        foreign=lambda w, who: w.submitted_hna(w.actors.profile_a2),
    ),
    "test_id_in_team": Argument(
        own=lambda w, who: w.surveillance_test(w.actors.profile_a),
        foreign=lambda w, who: w.surveillance_test(w.actors.profile_a2),
    ),
    "result_id_in_team": Argument(
        own=lambda w, who: w.test_result(w.actors.profile_a),
        foreign=lambda w, who: w.test_result(w.actors.profile_a2),
    ),
    "summary_version": Argument(
        # As with care plan versions: B's summary has a version A's has not.
        own=lambda w, who: w.summary_version(w.actors.profile_a),
        foreign=lambda w, who: w.summary_version(w.actors.profile_b, versions=2),
    ),
}


@dataclass(frozen=True)
class Carried:
    """An identifier a route reads from its query string ("query"), form ("form") or JSON body
    ("json"). The route's own URL identifiers are the person's own, so only this one is foreign."""

    endpoint: str
    method: str
    where: str
    field: str
    argument: str  # the ARGUMENTS entry that gives one's own and someone else's value
    extra: dict = field(default_factory=dict)  # whatever else the request needs to reach the check


CARRIED: list[Carried] = [
    Carried("hna.api_save", "POST", "json", "hna_id", "hna_id", {"step": "pathway_point", "data": {}}),
    Carried("hna.api_submit", "POST", "json", "hna_id", "hna_id"),
    Carried("messages.api_send", "POST", "json", "thread_id", "thread_id", {"token": "a" * 22, "body": "Hello"}),
    Carried("hna.api_submit", "POST", "json", "hna_id", "hna_id_in_team"),
    Carried("careplan.edit", "GET", "query", "hna_id", "hna_id"),
    Carried("careplan.edit", "GET", "query", "hna_id", "hna_id_in_team"),
    Carried("careplan.edit", "POST", "form", "hna_id", "hna_id"),
    Carried("careplan.edit", "POST", "form", "hna_id", "hna_id_in_team"),
    Carried("followup.nurse_test", "GET", "query", "test", "test_id"),
    Carried("followup.nurse_test", "GET", "query", "test", "test_id_in_team"),
    Carried("followup.nurse_test", "POST", "form", "test-test_id", "test_id", {"test-name": "CT scan"}),
    Carried("followup.nurse_test", "POST", "form", "test-test_id", "test_id_in_team", {"test-name": "CT scan"}),
    Carried("followup.nurse_follow_up", "GET", "query", "test", "test_id"),
    Carried("followup.nurse_follow_up", "POST", "form", "test_id", "test_id", {"action": "stop_test"}),
    Carried("followup.nurse_follow_up", "POST", "form", "test_id", "test_id_in_team", {"action": "stop_test"}),
    Carried("followup.nurse_summary", "GET", "query", "version", "summary_version"),
    Carried("results.nurse_record", "GET", "query", "test", "test_id"),
    Carried("results.nurse_record", "GET", "query", "test", "test_id_in_team"),
    Carried("results.nurse_record", "POST", "form", "result-test", "test_id", {"result-value": "1"}),
    Carried("results.nurse_record", "POST", "form", "result-test", "test_id_in_team", {"result-value": "1"}),
    Carried("results.nurse_results", "POST", "form", "result_id", "result_id_in_team"),
    Carried("results.nurse_sample", "POST", "form", "sample-test", "test_id"),
    Carried("results.nurse_sample", "POST", "form", "sample-test", "test_id_in_team"),
]

# Numbers read from requests that name no record a person could be refused.
CARRIED_EXEMPT: dict[str, str] = {
    "app.admin.routes:before": "a paging cursor over the audit log, which admins read whole by design",
    "app.admin.services:team": "the admin's services filter: admins keep every team's directory by design",
    "app.admin.services:version": "the version of a service the page showed, for the concurrent-edit check",
    "app.nurse.queue_routes:key_worker": "a filter over her own team's queue (the query keeps to her team): "
    "another team's nurse matches nothing",
    "app.results.routes:key_worker": "a filter over her own team's monitoring list (the query keeps to her team): "
    "another team's nurse matches nothing",
    "app.results.routes:after": "a paging cursor: the last person of the page before, used only if they are in her "
    "own team (anyone else gives the first page), and never shown",
    "app.auth.routes:user_id": "the demo sign-in (DEMO_MODE only, which production refuses)",
    "app.followup.routes:suggest": "an index into the pathway's suggested tests: content, not a record",
    "app.followup.routes:use_suggestion": "an index into the pathway's suggested tests: content, not a record",
    "app.followup.routes:test_version": "the version of a test the page showed, for the concurrent-edit check",
}

# Form fields that hold an identifier (`..._id`): walked through CARRIED, or checked against the
# choices the form offered (so someone else's id is a form error that keeps what was typed).
FORM_IDENTIFIERS: dict[str, str] = {
    "app.careplan.forms:hna_id": "walked: careplan.edit in CARRIED",
    "app.followup.forms:test_id": "walked: followup.nurse_test in CARRIED",
    "app.careplan.forms:service_id": "checked against the services offered for that row (validate_plan)",
    "app.nurse.forms:key_worker_id": "checked against her own team's nurses (validate_key_worker_id); "
    "another team's nurse is tested in tests/nurse/test_edit_patient.py",
    "app.admin.forms:team_id": "admin only: admins put staff in, and move patients to, any team by design",
    "app.admin.services:team_id": "admin only: a directory service may be for any team or national",
    "app.careplan.forms:concern_id": "names a concern in the questionnaire's content, not a record",
    "app.reentry.forms:symptom_entry_ids": "checked against the patient's own current entries offered "
    "(AskForm.offer_symptoms); another patient's entry is tested in tests/reentry/test_routes.py",
}

EXEMPT: dict[str, str] = {
    "auth.enrol_link": "<token> is the invitation's secret itself; unknown, used and expired "
    "tokens are tested with the invitations",
    "hna.question": "<step> names a question, not a record: the page only ever acts on the "
    "signed-in patient's own draft",
    "admin.questionnaire_json": "<version_id> names published clinical content, the same for "
    "every team and holding no patient data; admin-only is checked by the role walk",
    "admin.service_edit": "<service_id> names a services directory entry, shared by every team and "
    "holding no patient data; admin-only is checked by the role walk, unknown ids in tests/admin",
}

# Open to everyone, signed in or not.
PUBLIC: dict[str, str] = {
    "main.index": "the start page",
    "main.service_worker": "the service worker script",
    "main.manifest": "the web app manifest, which browsers fetch without cookies",
    "main.health": "the health check for the load balancer",
    "main.offline": "the offline page the service worker caches",
    "auth.sign_in": "the sign-in page",
    "auth.sign_in_options": "the passkey challenge for signing in",
    "auth.sign_in_verify": "checking a passkey to sign in",
    "auth.sign_in_password": "signing in with an NHS number and password",
    "auth.enrol_link": "an invitation link",
    "auth.enrol_code": "typing an invitation code",
}


# Built once, while collecting, so that every rule becomes its own test case.
_APP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
RULES = sorted(_APP.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
WALKED = [rule for rule in RULES if rule.arguments and rule.endpoint not in EXEMPT]


def methods(rule) -> list[str]:
    return sorted(rule.methods - SKIPPED_METHODS)


def rule_id(rule) -> str:
    return f"{rule.endpoint}:{rule.rule}"


@pytest.fixture
def world(app, actors) -> World:
    return World(actors)


def url(app, world: World, rule, who: str, whose: str | dict[str, str]) -> str | None:
    """The rule's URL for `who`, with their `own` or someone else's (`foreign`) identifiers, or
    a mix ({argument: "own" or "foreign"}); None when something asked for has no such thing."""
    with app.test_request_context():
        values = {}
        for name in rule.arguments:
            if name not in ARGUMENTS:
                values[name] = 1
                continue
            value = getattr(ARGUMENTS[name], whose if isinstance(whose, str) else whose[name])(world, who)
            if value is None:
                return None
            values[name] = value
        return url_for(rule.endpoint, **values)


def foreign_mixes(rule) -> list[dict[str, str]]:
    """Every way of giving the rule's identifiers with at least one of them someone else's."""
    names = sorted(name for name in rule.arguments if name in ARGUMENTS)
    return [
        dict(zip(names, whose, strict=True))
        for whose in itertools.product(("own", "foreign"), repeat=len(names))
        if "foreign" in whose
    ]


def browser_of(new_client, actors: Actors, who: str | None):
    """A browser signed in as `who` (or no one), and the CSRF header its pages would send."""
    client = new_client()
    if who is not None:
        sign_in_as(client, getattr(actors, who))
    return client, {"X-CSRFToken": client.csrf_token()}


def refusals(app, actor_id: int | None = None) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "refused")
        if actor_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == actor_id)
        return db.session.scalar(stmt)


def page_without_secrets(response) -> str:
    """The page with its per-request CSP nonce, CSRF tokens and idle timer's seconds taken out."""
    # CSRF tokens carry a timestamp, and the idle timer counts down: two pages a second apart
    # differ there and nowhere else.
    html = re.sub(r'(nonce|content|data-session-left)="[^"]*"', "", response.get_data(as_text=True))
    return re.sub(r'(name="csrf_token" value)="[^"]*"', r"\1", html)


def view_roles(app, endpoint: str) -> frozenset[Role] | None:
    return getattr(app.view_functions[endpoint], "allowed_roles", None)


# ---------------------------------------------------------------- the walk is complete


def test_every_rule_with_arguments_is_walked_or_exempt():
    unknown = {
        rule_id(rule): sorted(rule.arguments - ARGUMENTS.keys())
        for rule in RULES
        if rule.endpoint not in EXEMPT and rule.arguments - ARGUMENTS.keys()
    }
    assert unknown == {}, "add these arguments to ARGUMENTS, or the routes to EXEMPT with a reason"


def test_every_exemption_names_a_route_that_exists():
    endpoints = {rule.endpoint for rule in RULES}
    assert set(EXEMPT) - endpoints == set()
    assert set(PUBLIC) - endpoints == set()


def test_the_walk_covers_the_routes_that_take_identifiers():
    walked = {rule.endpoint for rule in WALKED}
    assert {"nurse.patient", "nurse.reinvite", "auth.passkey_rename", "auth.passkey_remove",
            "admin.user", "admin.set_active"} <= walked


# ---------------------------------------------------------------- someone else's identifiers


def refused_properly(app, world: World, who: str, response, before: int) -> str | None:
    """What is wrong with the answer to a request for someone else's record, or None."""
    body = response.get_data(as_text=True)
    if response.status_code != 404:
        return f"answered {response.status_code}"
    if "Baker" in body or "Nurse B" in body:
        return "showed the other person's name"
    if refusals(app, world.user(who)) != before + 1:
        return "was refused without an audit event"
    return None


@pytest.mark.hazard("HAZ-004")
@pytest.mark.parametrize("who", [PATIENT_A, NURSE_A, ADMIN])
def test_someone_elses_identifiers_answer_404_on_every_route_and_are_audited(app, world, new_client, who):
    client, csrf = browser_of(new_client, world.actors, who)
    wrong, walked = [], 0
    for rule in WALKED:
        for whose in foreign_mixes(rule):
            with app.app_context():
                address = url(app, world, rule, who, whose)
            if address is None:
                continue
            for method in methods(rule):
                walked += 1
                before = refusals(app, world.user(who))
                response = client.open(address, method=method, headers=csrf, data={})
                problem = refused_properly(app, world, who, response, before)
                if problem:
                    wrong.append(f"{method} {address} {problem}")
            for method in sorted({"GET", "POST"} - rule.methods):
                response = client.open(address, method=method, headers=csrf, data={})
                if response.status_code not in (404, 405):
                    wrong.append(f"{method} {address} (a method it does not take) answered {response.status_code}")
    assert walked > 20
    assert wrong == []


def test_routes_with_two_identifiers_are_walked_with_them_mixed():
    rule = next(r for r in WALKED if r.endpoint == "careplan.nurse_version")
    assert {"patient_id": "own", "version": "foreign"} in foreign_mixes(rule)
    assert {"patient_id": "foreign", "version": "own"} in foreign_mixes(rule)
    assert {"patient_id": "own", "version": "own"} not in foreign_mixes(rule)


# ---------------------------------------------------------------- identifiers in queries and bodies


def send_carried(app, world: World, client, csrf: dict, carried: Carried, who: str, whose: str):
    """The carried identifier's request from `who`, with their own or someone else's value."""
    rule = next(r for r in RULES if r.endpoint == carried.endpoint)
    with app.app_context():
        address = url(app, world, rule, who, "own")
        fields = {carried.field: getattr(ARGUMENTS[carried.argument], whose)(world, who), **carried.extra}
    if carried.where == "query":
        return client.open(f"{address}?{urlencode(fields)}", method=carried.method, headers=csrf,
                           follow_redirects=True)
    if carried.where == "form":
        return client.open(address, method=carried.method, headers=csrf, data=fields, follow_redirects=True)
    headers = {**csrf, "Idempotency-Key": uuid.uuid4().hex, "Accept": "application/json"}
    return client.open(address, method=carried.method, headers=headers, json=fields)


@pytest.mark.hazard("HAZ-004")
@pytest.mark.parametrize("who", [PATIENT_A, NURSE_A, ADMIN])
def test_someone_elses_identifiers_in_queries_and_bodies_answer_404_and_are_audited(app, world, new_client, who):
    client, csrf = browser_of(new_client, world.actors, who)
    wrong = []
    for carried in CARRIED:
        before = refusals(app, world.user(who))
        response = send_carried(app, world, client, csrf, carried, who, "foreign")
        problem = refused_properly(app, world, who, response, before)
        if problem:
            wrong.append(f"{carried.method} {carried.endpoint} {carried.where} {carried.field} {problem}")
    assert wrong == []


def test_the_same_requests_with_ones_own_identifiers_are_not_refused(app, world, new_client):
    browsers = {who: browser_of(new_client, world.actors, who) for who in (PATIENT_A, NURSE_A)}
    refused = []
    for carried in CARRIED:
        statuses = {who: send_carried(app, world, client, csrf, carried, who, "own").status_code
                    for who, (client, csrf) in browsers.items()}
        if all(status == 404 for status in statuses.values()):
            refused.append(f"{carried.method} {carried.endpoint} {carried.where} {carried.field}: {statuses}")
    assert refused == []


def identifiers_read_from_requests() -> set[str]:
    """`module:field` for each field the app reads from a query, form or JSON body that is named
    like an identifier (`..._id`), read as a number (`type=int`, or `type=parse_id` from
    app/untrusted.py) or handed to app/untrusted.py's id_or_none or parse_id, directly or through
    a variable in the same function."""
    found = set()
    sources = {"request.args", "request.form", "request.values", "args", "payload"}

    def read_field(node) -> str | None:
        if isinstance(node, ast.BoolOp):  # request.args.get("team") or ""
            node = node.values[0]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "getlist") and ast.unparse(node.func.value) in sources
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
        return None

    for path in sorted(Path("app").rglob("*.py")):
        module = ".".join(path.with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = read_field(node) if isinstance(node, ast.Call) else None
            if name is None:
                continue
            as_number = any(k.arg == "type" and ast.unparse(k.value) in ("int", "parse_id") for k in node.keywords)
            if name.endswith("_id") or as_number:
                found.add(f"{module}:{name}")
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            variables = {
                target.id: read_field(statement.value)
                for statement in ast.walk(function) if isinstance(statement, ast.Assign) and read_field(statement.value)
                for target in statement.targets if isinstance(target, ast.Name)
            }
            for call in ast.walk(function):
                if (isinstance(call, ast.Call) and ast.unparse(call.func).split(".")[-1] in ("id_or_none", "parse_id")
                        and call.args):
                    argument = call.args[0]
                    name = read_field(argument) or (variables.get(argument.id) if isinstance(argument, ast.Name) else None)
                    if name:
                        found.add(f"{module}:{name}")
    return found


def identifier_fields_in_forms() -> set[str]:
    """`module:field` for each form field named like an identifier (`..._id`, or `..._ids` for a
    list of them), including the
    rows a form class makes with setattr (`f"item_{n}_service_id"` gives `service_id`)."""
    found = set()
    for path in sorted(Path("app").rglob("*.py")):
        module = ".".join(path.with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
                            and ast.unparse(statement.value.func).endswith("Field")):
                        found |= {f"{module}:{t.id}" for t in statement.targets
                                  if isinstance(t, ast.Name) and t.id.endswith(("_id", "_ids"))}
            elif (isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and len(node.args) == 3
                  and isinstance(node.args[2], ast.Call) and ast.unparse(node.args[2].func).endswith("Field")):
                target = node.args[1]
                name = None
                if isinstance(target, ast.JoinedStr) and isinstance(target.values[-1], ast.Constant):
                    name = target.values[-1].value.lstrip("_")  # f"item_{n}_service_id" -> service_id
                elif isinstance(target, ast.Constant):
                    name = target.value
                if name and name.endswith("_id"):
                    found.add(f"{module}:{name}")
    return found


def test_every_identifier_field_in_a_form_is_walked_or_checked_against_its_choices():
    assert identifier_fields_in_forms() == FORM_IDENTIFIERS.keys(), (
        "walk the new field through CARRIED, or check it against the form's choices and say so in FORM_IDENTIFIERS"
    )


def test_every_identifier_read_from_a_request_is_walked_or_exempt(app):
    walked = {
        f"{inspect.unwrap(app.view_functions[c.endpoint]).__module__}:{c.field}" for c in CARRIED
    }
    assert identifiers_read_from_requests() - walked - CARRIED_EXEMPT.keys() == set(), (
        "add these to CARRIED, or to CARRIED_EXEMPT with the reason"
    )
    assert CARRIED_EXEMPT.keys() - identifiers_read_from_requests() == set()


@pytest.mark.parametrize("rule", WALKED, ids=rule_id)
def test_the_same_route_with_ones_own_identifiers_works_for_someone(app, world, new_client, rule):
    browsers = {who: browser_of(new_client, world.actors, who) for who in (PATIENT_A, NURSE_A, ADMIN)}
    for method in methods(rule):
        statuses = {}
        for who, (client, csrf) in browsers.items():
            with app.app_context():
                address = url(app, world, rule, who, "own")
            statuses[who] = client.open(address, method=method, headers=csrf, data={}).status_code
        assert any(status < 400 for status in statuses.values()), f"{method}: {statuses}"


def test_a_nurse_sees_her_own_teams_patient_but_not_the_other_teams(app, actors, new_client):
    client, _ = browser_of(new_client, actors, NURSE_A)
    own = client.get(f"/nurse/patients/{actors.profile_a}")
    other = client.get(f"/nurse/patients/{actors.profile_b}")
    assert own.status_code == 200 and "Ann Able" in own.get_data(as_text=True)
    assert other.status_code == 404 and "Ben Baker" not in other.get_data(as_text=True)


def test_a_record_that_does_not_exist_looks_like_one_that_is_not_yours(app, actors, new_client):
    client, _ = browser_of(new_client, actors, NURSE_A)
    missing = client.get("/nurse/patients/999999")
    not_yours = client.get(f"/nurse/patients/{actors.profile_b}")
    assert missing.status_code == not_yours.status_code == 404
    assert page_without_secrets(missing) == page_without_secrets(not_yours)


def test_a_refusal_records_who_asked_for_what(app, actors, new_client):
    client, _ = browser_of(new_client, actors, NURSE_A)
    client.get(f"/nurse/patients/{actors.profile_b}")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.outcome == "refused").order_by(AuditEvent.id.desc())
        ).first()
        assert (event.action, event.actor_id, event.subject) == (
            "patient.access_refused", actors.nurse_a, f"patient:{actors.profile_b}"
        )
        assert event.path == f"/nurse/patients/{actors.profile_b}"


@pytest.mark.hazard("HAZ-004")
def test_a_refused_request_keeps_nothing_it_changed(app, actors, new_client):
    client, csrf = browser_of(new_client, actors, NURSE_A)
    response = client.post(f"/nurse/patients/{actors.profile_b}/invitation", headers=csrf)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


# ---------------------------------------------------------------- what a page links to


def links_on(response) -> set[str]:
    """This app's own addresses that the page links to."""
    found = set()
    for href in re.findall(r'href="([^"]+)"', response.get_data(as_text=True)):
        parts = urlsplit(href.replace("&amp;", "&"))
        if not parts.netloc and parts.path.startswith("/") and not parts.path.startswith("/static/"):
            found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.hazard("HAZ-004")
@pytest.mark.parametrize("who", [PATIENT_A, NURSE_A, ADMIN])
def test_every_record_a_page_links_to_opens_for_the_person_it_was_shown_to(app, world, new_client, who):
    """Lists show only what the person may open: another team's patient, or a draft HNA the
    patient has not sent, in a nurse's list would link to a page that refuses her."""
    with app.app_context():
        for profile in (world.actors.profile_a, world.actors.profile_a2, world.actors.profile_b):
            world.draft_hna(profile)  # a sent HNA and a newer draft, for each patient
            world.queue_item(profile)
    client, _ = browser_of(new_client, world.actors, who)
    adapter = app.url_map.bind("localhost")
    pages = [rule for rule in RULES if not rule.arguments and "GET" in rule.methods and rule.endpoint not in PUBLIC]
    wrong, opened = [], set()
    for rule in pages:
        response = client.get(rule.rule)
        if response.status_code >= 500:
            wrong.append(f"{rule.rule} answered {response.status_code}")
        if response.status_code != 200:
            continue
        for link in sorted(links_on(response) - opened):
            endpoint, arguments = adapter.match(urlsplit(link).path, method="GET")
            if not arguments:
                continue  # pages without identifiers are the role walk's
            opened.add(link)
            status = client.get(link).status_code
            if status >= 400:
                wrong.append(f"{rule.rule} links to {link} ({endpoint}), which answers {status}")
    assert opened, "no page linked to a record: the walk saw nothing"
    assert wrong == []


def test_the_nurses_hna_list_links_her_teams_sent_hnas(app, world, new_client):
    """So the link walk has something to check on the list that must never show drafts."""
    with app.app_context():
        sent, draft = world.submitted_hna(world.actors.profile_a), world.draft_hna(world.actors.profile_a)
    client, _ = browser_of(new_client, world.actors, NURSE_A)
    links = links_on(client.get("/nurse/hnas"))
    assert f"/nurse/hnas/{sent}" in links
    assert f"/nurse/hnas/{draft}" not in links


# ---------------------------------------------------------------- idempotency keys


def is_idempotent(view) -> bool:
    """Whether `idempotent` wraps the view, somewhere among its decorators."""
    marker = idempotent(lambda: None).__code__
    while view is not None:
        if view.__code__ is marker:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


IDEMPOTENT = [rule for rule in RULES if is_idempotent(_APP.view_functions[rule.endpoint])]
TWO_OF_ROLE = {Role.PATIENT: ("patient_a", "patient_b"), Role.NURSE: ("nurse_a", "nurse_b")}


def test_the_idempotency_walk_finds_the_json_posts():
    assert {"hna.api_save", "hna.api_submit"} <= {rule.endpoint for rule in IDEMPOTENT}


@pytest.mark.hazard("HAZ-004")
@pytest.mark.parametrize("rule", IDEMPOTENT, ids=rule_id)
def test_one_persons_idempotency_key_never_replays_to_another(app, world, new_client, rule):
    role = next(role for role in TWO_OF_ROLE if role in (view_roles(app, rule.endpoint) or TWO_OF_ROLE))
    first, second = TWO_OF_ROLE[role]
    key = "shared-key-0001"

    def send(who: str):
        client, csrf = browser_of(new_client, world.actors, who)
        with app.app_context():
            address = url(app, world, rule, who, "own")
        return client.post(address, json={}, headers={**csrf, "Idempotency-Key": key, "Accept": "application/json"})

    send(first)
    assert send(first).headers.get("Idempotent-Replayed") == "true"  # the key is kept for its owner
    other = send(second)
    assert other.headers.get("Idempotent-Replayed") is None
    assert other.status_code != 422  # nor refused as someone else's key reused


# ---------------------------------------------------------------- signed out


@pytest.mark.hazard("HAZ-004")
def test_every_route_that_is_not_public_refuses_someone_not_signed_in(app, world, new_client):
    client, csrf = browser_of(new_client, world.actors, None)
    wrong = []
    for rule in RULES:
        if rule.endpoint in PUBLIC:
            continue
        with app.app_context():
            address = url(app, world, rule, PATIENT_A, "own")
        for method in methods(rule):
            response = client.open(address, method=method, headers=csrf, data={})
            refused = response.status_code in (401, 404) or (
                response.status_code in (302, 303) and response.location.startswith("/sign-in")
            )
            if not refused:
                wrong.append(f"{method} {address} answered {response.status_code}")
    assert wrong == []


def test_public_pages_open_without_signing_in(client):
    csrf = {"X-CSRFToken": client.csrf_token()}
    statuses = {}
    for endpoint in sorted(PUBLIC.keys() - EXEMPT.keys() - {"auth.sign_in_verify"}):
        rule = next(r for r in RULES if r.endpoint == endpoint)
        with client.application.test_request_context():
            address = url_for(endpoint)
        response = client.open(address, method="GET" if "GET" in rule.methods else "POST", headers=csrf)
        response.close()
        statuses[address] = response.status_code
    assert set(statuses.values()) == {200}, statuses


# ---------------------------------------------------------------- roles


@pytest.mark.hazard("HAZ-004")
def test_a_route_for_other_roles_answers_404_and_is_audited(app, world, new_client):
    wrong, checked = [], 0
    for who, role in ROLE_OF.items():
        client, csrf = browser_of(new_client, world.actors, who)
        for rule in RULES:
            roles = view_roles(app, rule.endpoint)
            if roles is None or role in roles:
                continue
            with app.app_context():
                address = url(app, world, rule, who, "own")
            for method in methods(rule):
                checked += 1
                before = refusals(app, world.user(who))
                response = client.open(address, method=method, headers=csrf, data={})
                if response.status_code != 404:
                    wrong.append(f"{who} {method} {address} answered {response.status_code}")
                elif refusals(app, world.user(who)) != before + 1:
                    wrong.append(f"{who} {method} {address} was refused without an audit event")
    assert checked > 20
    assert wrong == []


@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [
        ("/nurse/", {Role.NURSE, Role.ADMIN}),
        ("/admin/", {Role.ADMIN}),
    ],
)
def test_staff_and_admin_areas_declare_their_roles_on_every_route(app, prefix, allowed):
    undeclared = {
        rule.rule: view_roles(app, rule.endpoint)
        for rule in RULES
        if rule.rule.startswith(prefix)
        and (view_roles(app, rule.endpoint) is None or not view_roles(app, rule.endpoint) <= allowed)
    }
    assert undeclared == {}


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (PATIENT_A, "/my-care", 200),
        (NURSE_A, "/my-care", 404),
        (ADMIN, "/my-care", 404),
        (PATIENT_A, "/nurse/patients", 404),
        (NURSE_A, "/nurse/patients", 200),
        (ADMIN, "/nurse/patients", 200),
        (PATIENT_A, "/admin/", 404),
        (NURSE_A, "/admin/", 404),
        (ADMIN, "/admin/", 200),
    ],
)
def test_each_role_reaches_its_own_area_only(actors, new_client, who, path, status):
    client, _ = browser_of(new_client, actors, who)
    assert client.get(path).status_code == status


@pytest.mark.hazard("HAZ-004")
def test_a_closed_account_is_signed_out_and_reaches_nothing(app, actors, new_client):
    client, _ = browser_of(new_client, actors, NURSE_A)
    with app.app_context():
        db.session.get(User, actors.nurse_a).active = False
        db.session.commit()
    response = client.get(f"/nurse/patients/{actors.profile_a}")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
