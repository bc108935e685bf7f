"""Nobody reaches what is not theirs: a walk over every route in the app.

The rules come from `app.url_map`, so a new route is covered the day it is added. A rule whose
URL carries an identifier is requested by patient A and by nurse A (team A) with identifiers
that belong to someone else, with every method it accepts: each answer must be 404, show nothing
of the other person, and leave an audit event. The same URLs with the person's own identifiers
answer 200 to someone, so the 404s are about ownership and not a broken URL.

A new blueprint adds the identifiers its URLs take to ARGUMENTS (one line each: how to find
something the person may reach, and something they may not); a route the walk cannot exercise
goes in EXEMPT with the reason. A rule with an argument in neither fails
`test_every_rule_with_arguments_is_walked_or_exempt`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from flask import url_for
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Invitation, PasskeyCredential, PatientProfile, Role, User
from app.timeutil import utcnow
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

    def care_plan_version(self, profile_id: int) -> int:
        """The version number of a care plan written for the patient by their team's nurse."""
        key = ("care-plan", profile_id)
        if key not in self.made:
            from datetime import date, timedelta

            from app.careplan import service
            from app.careplan.service import ItemInput

            patient = db.session.get(PatientProfile, profile_id)
            nurse = next(u for u in patient.team.members if u.role is Role.NURSE)
            plan = service.save_new_version(
                patient, 0, [ItemInput(concern="Tiredness", agreed="Rest")],
                date.today() + timedelta(days=90), None, None, None, nurse,
            )
            db.session.commit()
            self.made[key] = plan.version
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
    foreign: Callable[[World, str], object]  # something that belongs to someone else


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
        foreign=lambda w, who: w.actors.nurse_b,
    ),
    "version": Argument(
        # A care plan version is reached through its patient: patient A's plan, patient B's.
        own=lambda w, who: w.care_plan_version(w.actors.profile_a),
        foreign=lambda w, who: w.care_plan_version(w.actors.profile_b),
    ),
    "hna_id": Argument(
        own=lambda w, who: w.submitted_hna(w.actors.profile_a),
        foreign=lambda w, who: w.submitted_hna(w.actors.profile_b),
    ),
    "team_id": Argument(
        # Admins manage every team's contacts by design; nobody else manages any.
        own=lambda w, who: w.actors.team_a,
        foreign=lambda w, who: w.actors.team_b,
    ),
    "item_id": Argument(
        own=lambda w, who: w.queue_item(w.actors.profile_a),
        foreign=lambda w, who: w.queue_item(w.actors.profile_b),
    ),
}

EXEMPT: dict[str, str] = {
    "static": "public files: <filename> names a file, not a record",
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
    "static": "the design system's and our CSS, JS and icons",
    "main.index": "the start page",
    "main.service_worker": "the service worker script",
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


def url(app, world: World, rule, who: str, whose: str) -> str:
    """The rule's URL for `who`, with their `own` or someone else's (`foreign`) identifiers."""
    with app.test_request_context():
        values = {
            name: getattr(ARGUMENTS[name], whose)(world, who) if name in ARGUMENTS else 1
            for name in rule.arguments
        }
        return url_for(rule.endpoint, **values)


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
    """The page with its per-request CSP nonce and CSRF tokens taken out."""
    # CSRF tokens carry a timestamp: two pages a second apart differ there and nowhere else.
    html = re.sub(r'(nonce|content)="[^"]*"', "", response.get_data(as_text=True))
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


@pytest.mark.parametrize("who", [PATIENT_A, NURSE_A])
def test_someone_elses_identifiers_answer_404_on_every_route_and_are_audited(app, world, new_client, who):
    client, csrf = browser_of(new_client, world.actors, who)
    wrong = []
    for rule in WALKED:
        with app.app_context():
            address = url(app, world, rule, who, "foreign")
        for method in methods(rule):
            before = refusals(app, world.user(who))
            response = client.open(address, method=method, headers=csrf, data={})
            body = response.get_data(as_text=True)
            if response.status_code != 404:
                wrong.append(f"{method} {address} answered {response.status_code}")
            elif "Baker" in body or "Nurse B" in body:
                wrong.append(f"{method} {address} showed the other person's name")
            elif refusals(app, world.user(who)) != before + 1:
                wrong.append(f"{method} {address} was refused without an audit event")
        for method in sorted({"GET", "POST"} - rule.methods):
            response = client.open(address, method=method, headers=csrf, data={})
            if response.status_code not in (404, 405):
                wrong.append(f"{method} {address} (a method it does not take) answered {response.status_code}")
    assert wrong == []


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


def test_a_refused_request_keeps_nothing_it_changed(app, actors, new_client):
    client, csrf = browser_of(new_client, actors, NURSE_A)
    response = client.post(f"/nurse/patients/{actors.profile_b}/invitation", headers=csrf)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


# ---------------------------------------------------------------- signed out


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


def test_a_closed_account_is_signed_out_and_reaches_nothing(app, actors, new_client):
    client, _ = browser_of(new_client, actors, NURSE_A)
    with app.app_context():
        db.session.get(User, actors.nurse_a).active = False
        db.session.commit()
    response = client.get(f"/nurse/patients/{actors.profile_a}")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
