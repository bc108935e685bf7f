"""The one idempotency mechanism, for page forms that must act once: `add_once` with a token from
`new_form_token` (JSON posts with an Idempotency-Key are tested with the HNA API)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.idempotency import IdempotencyRecord, Once, add_once, new_form_token
from app.directory.models import Service, ServiceCategory

TOKEN = "A" * 22


def add_service(name: str):
    def make() -> dict:
        service = Service(name=name, category=ServiceCategory.PSYCHOLOGICAL_SUPPORT)
        db.session.add(service)
        db.session.flush()
        return {"service_id": service.id}
    return make


def services() -> list[str]:
    return list(db.session.scalars(select(Service.name).order_by(Service.id)))


@pytest.mark.hazard("HAZ-005")
@pytest.mark.parametrize(("first", "second", "status", "made"), [
    # (token, content) of each post -> what the second is told, and what exists afterwards
    ((TOKEN, "Once A"), (TOKEN, "Once A"), Once.ALREADY, ["Once A"]),             # a double click or a retry
    ((TOKEN, "Once A"), (TOKEN, "Once B"), Once.TOKEN_USED, ["Once A"]),          # the form used again for something else
    ((TOKEN, "Once A"), ("B" * 22, "Once A"), Once.MADE, ["Once A", "Once A"]),   # a fresh form: a deliberate second one
    ((TOKEN, "Once A"), ("", "Once B"), Once.OUT_OF_DATE, ["Once A"]),            # no token: nothing is made
    ((TOKEN, "Once A"), ("short", "Once B"), Once.OUT_OF_DATE, ["Once A"]),
    ((TOKEN, "Once A"), ("x" * 22 + "<>", "Once B"), Once.OUT_OF_DATE, ["Once A"]),
])
def test_a_form_acts_once_per_token_and_content(app, actors, first, second, status, made):
    with app.app_context():
        assert add_once(actors.nurse_a, "test.add", first[0], {"name": first[1]}, add_service(first[1])).status is Once.MADE
        db.session.commit()
        result = add_once(actors.nurse_a, "test.add", second[0], {"name": second[1]}, add_service(second[1]))
        db.session.commit()
        assert result.status is status and services() == made
        if status is Once.ALREADY:  # told what the first one made
            assert result.made == {"service_id": db.session.scalar(select(Service.id).where(Service.name == "Once A"))}


def test_the_same_token_is_separate_per_person_and_per_scope(app, actors):
    with app.app_context():
        for user_id, scope in ((actors.nurse_a, "test.add"), (actors.nurse_b, "test.add"), (actors.nurse_a, "other.add")):
            assert add_once(user_id, scope, TOKEN, {"name": "Once A"}, add_service("Once A")).status is Once.MADE
        db.session.commit()
        assert services() == ["Once A"] * 3


def test_two_posts_of_one_form_at_the_same_moment_make_one(app, actors):
    """The second arrives while the first is making what the form asks, its claim of the token
    not yet committed: the second's claim waits for it (PostgreSQL: on the unique key; SQLite: the
    first holds the write lock), stores nothing, makes nothing and is told what the first made."""
    import threading
    import time

    first_is_making = threading.Event()
    outcome = {}

    def make_slowly() -> dict:
        made = add_service("Once A")()
        first_is_making.set()
        time.sleep(0.3)  # the second's claim is sent meanwhile, and waits
        return made

    def first_post():
        with app.app_context():
            outcome["first"] = add_once(actors.nurse_a, "test.add", TOKEN, {"name": "Once A"}, make_slowly)
            db.session.commit()

    first = threading.Thread(target=first_post)
    first.start()
    assert first_is_making.wait(10)
    with app.app_context():
        second = add_once(actors.nurse_a, "test.add", TOKEN, {"name": "Once A"}, add_service("Once A"))
        db.session.commit()
        first.join(10)
        assert outcome["first"].status is Once.MADE
        assert second.status is Once.ALREADY and second.made == outcome["first"].made
        assert services() == ["Once A"]
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_a_form_whose_token_another_post_stored_first_makes_nothing(app, actors, monkeypatch):
    """The other post of the same form committed its record just before this one's claim: the
    claim stores nothing, so nothing is made, and this post is told what the other made."""
    from sqlalchemy.orm import Session

    from app import idempotency

    claim = idempotency._claim

    def the_other_commits_first(user_id, key, fingerprint):
        with Session(db.engine) as other:
            service = Service(name="Once A", category=ServiceCategory.PSYCHOLOGICAL_SUPPORT)
            other.add(service)
            other.flush()
            other.add(IdempotencyRecord(user_id=actors.nurse_a, key=f"test.add:{TOKEN}", status_code=303,
                                        request_fingerprint=_fingerprint({"name": "Once A"}),
                                        response={"service_id": service.id}))
            other.commit()
            made = {"service_id": service.id}
        monkeypatch.setattr(idempotency, "_claim", claim)
        outcome["other"] = made
        return claim(user_id, key, fingerprint)

    outcome = {}
    monkeypatch.setattr(idempotency, "_claim", the_other_commits_first)
    with app.app_context():
        result = add_once(actors.nurse_a, "test.add", TOKEN, {"name": "Once A"}, add_service("Once B"))
        db.session.commit()
        assert result.status is Once.ALREADY and result.made == outcome["other"]
        assert services() == ["Once A"]
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def _fingerprint(content):
    from app.idempotency import _content_fingerprint

    return _content_fingerprint(content)


def test_each_form_token_is_new_and_usable():
    from app.idempotency import FORM_TOKEN

    tokens = {new_form_token() for _ in range(50)}
    assert len(tokens) == 50 and all(FORM_TOKEN.fullmatch(t) for t in tokens)


# (Idempotency-Key a phone sends -> its status): ':' is the server's own, in the key of a form
# token's record (`add_once`: "<scope>:<token>"), so no client key can name such a record.
CLIENT_KEYS = [
    ("0b6f7f3c-5d1e-4c1a-9a51-3c1f2e8d9b70", 200),  # crypto.randomUUID() (static/js/form-outbox.js newKey)
    ("9f86d081884c7d659a2feaa0c55ad015", 200),      # its fallback: 16 random bytes in hex
    ("outbox.entry_0001", 200),
    (f"symptoms.log:{TOKEN}", 400),                  # a form token's record's key
    ("reentry.ask:" + TOKEN, 400),
    ("client:0b6f7f3c", 400),
]


@pytest.mark.parametrize(("key", "status"), CLIENT_KEYS)
def test_a_client_key_can_never_name_a_form_tokens_record(app, actors, patient, key, status):
    with app.app_context():
        # The person's own form, sent with its token: its record's key is "symptoms.log:<token>".
        assert add_once(actors.patient_a, "symptoms.log", TOKEN, {"name": "Once A"},
                        add_service("Once A")).status is Once.MADE
        add_once(actors.patient_a, "reentry.ask", TOKEN, {"name": "Once B"}, add_service("Once B"))
        db.session.commit()
        records = db.session.scalar(select(func.count()).select_from(IdempotencyRecord))
    response = patient.post_json("/api/hna/answers", {"step": "distress", "data": {"distress": 1}},
                                 headers={"Idempotency-Key": key})
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"] == "idempotency_key_required"
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == records
