"""Hostile input is a 4xx, never a 500: the rules in app/untrusted.py, then a walk over every
route in `app.url_map` with the values that once answered 500 on SQLite or PostgreSQL.

The walk takes its routes from the url_map and the field names it sends from the app itself
(every form class's fields and every name a view reads from `request.args`, `request.form` or a
JSON body), so a new route or field is covered the day it is added.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select
from wtforms import Form
from wtforms.fields.core import UnboundField

import app as app_package
from app import IdConverter, untrusted
from app.extensions import db
from app.forms import DateInputField, PageForm, RowForm
from app.models import AuditEvent, PatientProfile
from tests.helpers import page, sign_in_as
from tests.test_authorisation import ARGUMENTS, RULES, SKIPPED_METHODS, World, rule_id

NUL_TEXT = "Tired\x00all day\x1b"
HUGE_IDS = (2**31, 2**63)
NOT_ASCII_DIGIT = "²"
ROLES = (None, "patient_a", "nurse_a", "admin")
# Path arguments that are not record ids: a value that reaches the view.
SAMPLE_ARGUMENTS = {"step": "point", "filename": "css/app.css", "token": "not-a-real-token"}
APP_DIR = Path(app_package.__file__).parent

# ---------------------------------------------------------------- the rules, as tables


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0), ("42", 42), (42, 42), (str(2**31 - 1), 2**31 - 1),
        (str(2**31), None), (2**31, None), (str(2**63), None), ("9" * 5000, None),
        ("-1", None), (-1, None), ("²", None), ("٣", None), ("1.0", None), (" 1", None),
        ("", None), (None, None), (True, None), (1.0, None), ([1], None),
    ],
)
def test_an_identifier_is_ascii_digits_within_32_bits(value, expected):
    assert untrusted.id_or_none(value) == expected
    if expected is None:
        with pytest.raises(ValueError):
            untrusted.parse_id(value)
    else:
        assert untrusted.parse_id(value) == expected


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("plain", False), ("two\nlines\r\n\tindented", False), ("émoji 🙂 and עברית", False),
        ("nul\x00", True), ("bell\x07", True), ("escape\x1b[31m", True), ("delete\x7f", True),
        ("vertical\x0btab", True),
    ],
)
def test_control_characters_other_than_line_breaks_and_tabs_are_refused(text, refused):
    assert untrusted.has_control_characters(text) is refused
    assert not untrusted.has_control_characters(untrusted.without_control_characters(text))


@pytest.mark.parametrize(
    ("document", "too_deep"),
    [
        ("{}", False), ("[" * 20 + "]" * 20, False), ("[" * 21 + "]" * 21, True),
        ('{"a": "' + "[" * 50 + '"}', False),  # brackets inside a string do not count
        ('{"a": "\\"' + "[" * 50 + '"}', False),  # nor after an escaped quote
        ("[" * 1000, True), (b"[" * 1000, True),
        # As bytes: counted before decoding, the same answers (UTF-8, and UTF-16 which json.loads reads).
        (b"[" * 20 + b"]" * 20, False), (b"[" * 21 + b"]" * 21, True),
        (("{\"\u015b\": " + "[" * 19 + "]" * 19 + "}").encode(), False),
        (("{\"\u015b\": " + "[" * 20 + "]" * 20 + "}").encode(), True),
        (("[" * 21 + "]" * 21).encode("utf-16"), True), (("[" * 20 + "]" * 20).encode("utf-16"), False),
        (("{\"a\": \"" + "[" * 50 + "\"}").encode("utf-16-le"), False), ("{\"\u015b\u015b\": 1}".encode("utf-16-le"), False),
    ],
)
def test_json_nesting_is_limited_without_parsing(document, too_deep):
    assert untrusted.json_too_deep(document) is too_deep


@pytest.mark.parametrize(
    ("value", "control", "huge"),
    [
        ({"a": [1, "b"]}, False, False), ({"a\x00": 1}, True, False), (["\x00"], True, False),
        ({"id": 2**31}, False, True), ({"id": -(2**31)}, False, False), ([2**63], False, True),
        ({"ok": True}, False, False),
    ],
)
def test_parsed_json_is_checked_for_control_characters_and_huge_integers(value, control, huge):
    assert untrusted.json_has_control_characters(value) is control
    assert untrusted.json_has_huge_integer(value) is huge


HOSTILE_DOCUMENTS = [
    {"a": "x\x00"}, {"a": "\x08"}, {"a": "\x0c"}, {"a": "\x1b[31m"}, {"a": "\x7f"}, {"k\x01": 1},
    [2**31], [-(2**31) - 1], {"a": [[{"b": 2**63}]]}, {"a": ["ok", {"b": "\x00"}]},
    {"form_token": "form_0000000016", "id": 12345678901}, ["07700900123", 10**12],
]


@pytest.mark.parametrize("document", HOSTILE_DOCUMENTS)
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32-le"])
def test_a_json_text_that_may_hold_hostile_values_is_walked(document, ensure_ascii, encoding):
    # Whatever the walks refuse, its text, as a browser or anyone else may send it (every
    # encoding json.loads reads), shows.
    text = json.dumps(document, ensure_ascii=ensure_ascii).encode(encoding)
    assert json.loads(text) == document
    assert untrusted.json_has_control_characters(document) or untrusted.json_has_huge_integer(document)
    assert untrusted.json_text_may_hold_hostile_values(text)


@pytest.mark.parametrize("text, may", [
    (b'{"step": "distress", "data": {"distress": 4}}', False),
    ('{"text": "Café – tired\\nand\\tsore", "id": 214748364}'.encode(), False),  # as a browser sends it
    (rb'{"text": "Caf\u00e9", "id": 1}', True),  # an escape the walks decide on
    (b'{"id": 2147483647}', True),  # 10 digits: the walks decide (and pass it)
    (rb'{"text": "a\\b"}', True),  # an escaped backslash before a b: walked, and passes
    (b'{"form_token": "profile8877_0000000016"}', False),  # digits inside a word of a string
    (b'{"phone": "07700900123", "nhs": "9434765919"}', False),  # a string of digits, whole
    (b'{"note": "call 07700900123"}', True),  # digits after a space: the walks decide
    (b'{"id":12345678901}', True), (b'[12345678901]', True), (b'[1,-12345678901]', True),  # numbers, however packed
    (b'{"id":\n 12345678901}', True), (b'{"x": 1.12345678901}', True),
])
def test_the_text_of_nearly_every_body_sent_needs_no_walk(text, may):
    assert untrusted.json_text_may_hold_hostile_values(text) is may


@pytest.mark.parametrize("body", [
    rb'{"step": "dis\btress"}', rb'{"step": "a\fb"}', '{"step": "a\x7fb"}'.encode(),
    r'{"step": "a\u0000b"}'.encode("utf-16"), r'{"step": "a\u001b"}'.encode("utf-32"), b'{"id": -2147483649}',
])
def test_hostile_values_however_written_are_refused(app, body):
    from werkzeug.exceptions import BadRequest

    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        from flask import request

        with pytest.raises(BadRequest):
            request.get_json(silent=True)


def _form_classes(base=Form) -> set[type]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub} | _form_classes(sub)
    return found


def test_every_form_in_the_app_inherits_a_base_form_that_refuses_hostile_input(app):
    ours = {cls for cls in _form_classes() if cls.__module__.startswith("app.")}
    assert len(ours) > 10
    assert {cls.__qualname__ for cls in ours if not issubclass(cls, (PageForm, RowForm))} == set()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"day": "1", "month": "2", "year": "1960"}, None),
        ({"day": "99999999999999999999", "month": "1", "year": "1960"}, "Date must be a real date"),
        ({"day": "1", "month": "99999999999999999999", "year": "1960"}, "Date must be a real date"),
        ({"day": "1", "month": "1", "year": "99999999999999999999"}, "Year must include 4 numbers"),
        ({"day": "²", "month": "1", "year": "1960"}, "Date must be a real date, using numbers only"),
    ],
)
def test_the_shared_date_field_turns_any_number_into_a_field_error(app, parts, message):
    class Dated(PageForm):
        class Meta:
            csrf = False

        when = DateInputField()

    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = Dated(formdata=MultiDict({f"when-{k}": v for k, v in parts.items()}))
        assert form.validate() is (message is None)
        assert (form.when.errors[0] if form.when.errors else None) == message
        assert form.when.raw_parts == parts  # what was typed is shown back


@pytest.mark.hazard("HAZ-008")
@pytest.mark.parametrize(
    ("path", "field", "extra"),
    [
        ("/nurse/patients/{patient}/edit", "given_name", {}),
        ("/admin/services/new", "name", {"category": "support", "team_id": "0", "phone": "0800 800 800"}),
        ("/enrol", "code", {}),
    ],
)
def test_a_form_with_control_characters_shows_a_field_error_and_keeps_the_text(
    app, actors, new_client, path, field, extra
):
    client = new_client()
    who = {"/nurse": actors.nurse_a, "/admin": actors.admin}.get(path[:6])
    if who:
        sign_in_as(client, who)
    typed = "Ann\x00 Able"
    response = client.post_form(path.format(patient=actors.profile_a), {field: typed, **extra})
    assert response.status_code in (200, 400, 422)
    html = page(response)
    assert untrusted.CONTROL_CHARACTER_MESSAGE in html
    assert typed in html or typed.replace("\x00", "\ufffd") in html


@pytest.mark.parametrize("path", ["/nurse/queue?q=Ann%00", "/admin/services?team=%00", "/sign-in?next=%1b"])
def test_control_characters_in_a_query_string_are_a_400(admin, path):
    response = admin.get(path)
    assert response.status_code == 400
    assert "hidden special characters" in page(response)


@pytest.mark.parametrize("path", ["/admin/services?team=²", f"/admin/services?team={2**63}",
                                  f"/admin/audit?patient={2**31}&before={2**63}"])
def test_a_query_string_id_that_names_nothing_is_ignored(admin, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/api/hna/answers", "/sign-in/passkey/options", "/sign-in/passkey/verify"])
def test_deeply_nested_json_is_a_400_in_the_json_shape(app, actors, new_client, path):
    client = new_client()
    sign_in_as(client, actors.patient_a)
    response = client.post(path, data="[" * 1000 + "]" * 1000, content_type="application/json",
                           headers={"X-CSRFToken": client.csrf_token(), "Idempotency-Key": "walk-0001"})
    assert response.status_code == 400
    assert response.is_json and "nested too deeply" in response.get_json()["detail"]


def test_deeply_nested_json_sent_in_chunks_is_a_400(app, actors, new_client):
    """A body with no Content-Length (chunked, as a server that reads chunks hands it on) is
    checked as any other."""
    client = new_client()
    sign_in_as(client, actors.patient_a)
    response = client.post("/sign-in/passkey/verify", input_stream=io.BytesIO(b"[" * 1000 + b"]" * 1000),
                           content_type="application/json",
                           headers={"X-CSRFToken": client.csrf_token(), "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 400
    assert response.is_json and "nested too deeply" in response.get_json()["detail"]


def test_a_request_without_a_body_is_not_read(app, client, monkeypatch):
    """Neither Content-Length nor Transfer-Encoding: HTTP says there is no body, so the check
    reads none (every page view)."""
    from flask import Request

    read = []
    monkeypatch.setattr(Request, "get_data", lambda self, *args, **kwargs: read.append(1) or b"")
    assert client.get("/sign-in").status_code == 200
    assert read == []


# ---------------------------------------------------------------- the walk


def _names_the_app_reads() -> list[str]:
    """Every field and parameter name in the app: form fields (with their date boxes and the
    prefixes pages give them) and each quoted name a view reads from args, form or JSON."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for path in APP_DIR.rglob("*.py"):
        source = path.read_text()
        names |= set(re.findall(r"""(?:args|form|payload|values|json)\.get(?:list)?\(\s*["']([\w-]+)["']""", source))
        names |= set(re.findall(r"""payload\[["']([\w-]+)["']\]""", source))
        names |= {name.replace("{n}", "0") for name in re.findall(r"""f["'](item_\{n\}_\w+)["']""", source)}
        prefixes |= set(re.findall(r"""prefix=["'](\w+)["']""", source))
    for cls in _form_classes():
        for attribute in dir(cls):
            unbound = getattr(cls, attribute, None)
            if isinstance(unbound, UnboundField):
                if issubclass(unbound.field_class, DateInputField):
                    names |= {f"{attribute}-{part}" for part in ("day", "month", "year")}
                names.add(attribute)
    from app.careplan.forms import ROW_FIELDS

    names |= {f"item_0_{field}" for field in ROW_FIELDS}
    names |= {f"{prefix}-{name}" for prefix in prefixes for name in list(names)}
    return sorted(names - {"csrf_token"})


def _path_values(app, world: World, rule, who: str | None) -> dict:
    values = {}
    for name in rule.arguments:
        if name in ARGUMENTS:
            values[name] = ARGUMENTS[name].own(world, who or "patient_a")
        else:
            values[name] = SAMPLE_ARGUMENTS.get(name, 1)
    return values


def _requests(names: list[str], method: str, csrf: str):
    """(label, keyword arguments for client.open) for every hostile value the walk sends."""
    query_values = [NUL_TEXT, *map(str, HUGE_IDS), NOT_ASCII_DIGIT]
    for value in query_values:
        yield f"query={value!r:.12}", {"query_string": {name: value for name in names}}
    if method == "GET":
        return
    for value in query_values:
        form = {name: value for name in names}
        yield f"form={value!r:.12}", {"data": {**form, "csrf_token": csrf}}
    json_values = [NUL_TEXT, *HUGE_IDS, NOT_ASCII_DIGIT]
    for value in json_values:
        yield f"json={value!r:.12}", {"data": json.dumps({name: value for name in names}),
                                      "content_type": "application/json"}
    yield "json nested 1000 deep", {"data": "[" * 1000 + "]" * 1000, "content_type": "application/json"}


def _walk_rule(app, actors, new_client, rule) -> list[str]:
    world = World(actors)
    names = _names_the_app_reads()
    wrong = []
    for who in ROLES:
        client = new_client()
        if who:
            sign_in_as(client, getattr(actors, who))
        csrf = client.csrf_token()
        headers = {"X-CSRFToken": csrf, "Idempotency-Key": f"hostile-walk-{who}"}
        with app.app_context():
            values = _path_values(app, world, rule, who)
            # The HNA pages act on the patient's draft: have one, so their forms are reached.
            from app.hna import service as hna_service

            hna_service.start_or_resume(db.session.get(PatientProfile, actors.profile_a))
            db.session.commit()
        id_names = [name for name, converter in rule._converters.items() if isinstance(converter, IdConverter)]
        with app.test_request_context():
            address = url_for(rule.endpoint, **values)
            huge_paths = [url_for(rule.endpoint, **{**values, **dict.fromkeys(id_names, big)})
                          for big in HUGE_IDS] if id_names else []
        for method in sorted(rule.methods - SKIPPED_METHODS):
            for path in huge_paths:
                response = client.open(path, method=method, headers=headers)
                # 405 where another rule has the same URL for other methods (Werkzeug's matcher)
                if response.status_code not in (404, 405):
                    wrong.append(f"{who} {method} {path} answered {response.status_code}, not 404")
            for label, kwargs in _requests(names, method, csrf):
                response = client.open(address, method=method, headers=headers, **kwargs)
                status = response.status_code
                if status >= 500:
                    wrong.append(f"{who} {method} {address} {label} answered {status}")
                elif label.startswith("query='Tired") and status != 400:
                    wrong.append(f"{who} {method} {address} {label} answered {status}, not 400")
                response.close()
    return wrong


WALKED_RULES = [rule for rule in RULES if rule.endpoint != "static"]


@pytest.mark.hazard("HAZ-008")
@pytest.mark.parametrize("rule", WALKED_RULES, ids=rule_id)
def test_hostile_values_on_every_route_answer_4xx_never_5xx(app, actors, new_client, rule):
    assert _walk_rule(app, actors, new_client, rule) == []


def test_the_walk_sends_the_names_views_read(app):
    names = _names_the_app_reads()
    assert {"q", "team", "hna_id", "given_name", "date_of_birth-day", "plan-follow_up_type",
            "item_0_service_id", "test_id", "name"} <= set(names)


def test_static_files_with_hostile_names_are_404(client):
    for path in ("/static/%00.css", f"/static/{'a' * 300}.css", "/static/../config.py"):
        assert client.get(path).status_code == 404


def test_an_audit_subject_or_path_quoting_control_characters_is_stored_without_them(app, actors):
    from app.audit import audit

    with app.test_request_context("/nurse/patients/1%00x"):
        audit("hna.access_refused", outcome="refused", subject="hna:Tired\x00\x1b[31m", commit=True)
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.subject, event.path) == ("hna:Tired[31m", "/nurse/patients/1x")


@pytest.mark.parametrize("body, refused", [
    ({"step": "distress", "data": {"distress": 4}}, False),
    ({"step": "dis\u0007tress", "data": {}}, True),
    ({"step": "distress", "data": {"distress": 2**40}}, True),
])
def test_a_json_body_read_twice_is_checked_once_and_refused_on_every_read(app, monkeypatch, body, refused):
    # The idempotency fingerprint and the view both read the body (app/idempotency.py): the
    # parsed document is walked once, and a refused one is refused again on the second read.
    from werkzeug.exceptions import BadRequest

    walks = []
    original = untrusted.json_has_control_characters
    # Counted at the document's top only (the walk calls itself for what is inside).
    monkeypatch.setattr(untrusted, "json_has_control_characters",
                        lambda value: (isinstance(value, dict) and "step" in value and walks.append(1)) or original(value))

    with app.test_request_context("/", method="POST", json=body):
        from flask import request

        reads = []
        for _ in range(2):
            try:
                reads.append(request.get_json(silent=True))
            except BadRequest:
                reads.append("refused")

    assert reads == (["refused", "refused"] if refused else [body, body])
    # A body whose text shows nothing to refuse is not walked at all (untrusted.json_text_may_hold_hostile_values).
    assert len(walks) == (0 if not refused else 2)
