"""static/js/form-outbox.js, the phone's one outbox for forms that must reach the team (asking to
be seen, answering a message, logging a symptom), run in Node.js: how entries are keyed (one per
form, by its one-time token; a fresh Idempotency-Key the server accepts), what is kept of a form,
which entries a page may send, what each server answer does with an entry, and how one is sent
(a busy server waited for, a missing or stale CSRF token renewed: what the HNA needs)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.idempotency import FORM_TOKEN, KEY_PATTERN, new_form_token

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["form-outbox.js", "offline-store.js", "csrf.js"]


@pytest.fixture(scope="module")
def run_js(tmp_path_factory):
    """Run `calls` (the body of an async function given `data` and the module as `outbox`) in
    Node; what it returns comes back as JSON. The modules keep their names beside a package.json
    saying they are ES modules, so their own imports work as in the browser."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to test static/js/form-outbox.js")
    folder = tmp_path_factory.mktemp("outbox")
    for name in MODULES:
        shutil.copy(ROOT / "static" / "js" / name, folder / name)
    (folder / "package.json").write_text('{"type": "module"}')

    def run(calls: str, **data):
        (folder / "run.js").write_text(
            "import * as outbox from './form-outbox.js'\n"
            "import { readFileSync } from 'node:fs'\n"
            "const data = JSON.parse(readFileSync(process.argv[2], 'utf8'))\n"
            f"const answer = await (async () => {{ {calls} }})()\n"
            "process.stdout.write(JSON.stringify(answer))\n"
        )
        (folder / "data.json").write_text(json.dumps(data))
        done = subprocess.run([node, str(folder / "run.js"), str(folder / "data.json")],
                              capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


@pytest.mark.parametrize(
    ("pairs", "kept"),
    [
        ([["csrf_token", "secret"], ["worry", "Back pain"]], {"worry": "Back pain"}),
        ([["symptom_entry_ids", "3"]], {"symptom_entry_ids": "3"}),
        ([["symptom_entry_ids", "3"], ["symptom_entry_ids", "5"], ["symptom_entry_ids", "8"]],
         {"symptom_entry_ids": ["3", "5", "8"]}),
        ([["token", "t" * 22], ["body", ""]], {"token": "t" * 22, "body": ""}),
        ([], {}),
    ],
)
def test_a_form_is_kept_as_its_fields_without_the_csrf_token(run_js, pairs, kept):
    assert run_js("return outbox.fieldsOf(data.pairs)", pairs=pairs) == kept


@pytest.mark.parametrize(
    ("first", "second", "same_entry"),
    [
        ({"token": "form-one-token-0001", "worry": "a"}, {"token": "form-one-token-0001", "worry": "b"}, True),
        ({"token": "form-one-token-0001"}, {"token": "form-two-token-0002"}, False),
        ({"form_token": "symptom-form-0001"}, {"form_token": "symptom-form-0001"}, True),
        ({"worry": "no token"}, {"worry": "no token"}, False),
        ({"token": ""}, {"token": ""}, False),
    ],
)
def test_entries_are_one_per_form_each_with_its_own_idempotency_key(run_js, first, second, same_entry):
    """The outbox replaces an entry of the same scope and step (offline-store.js put), so the
    same form tapped twice leaves one entry; each send still carries a fresh Idempotency-Key."""
    a, b = run_js(
        "const place = { scope: 'reentry', owner: 'o', apiUrl: '/api', url: '/page' }\n"
        "return [outbox.entryFor({ ...place, data: data.first }, 1), outbox.entryFor({ ...place, data: data.second }, 2)]",
        first=first, second=second,
    )
    assert (a["step"] == b["step"]) is same_entry
    assert a["id"] != b["id"]
    assert a["scope"] == "reentry" and a["owner"] == "o" and a["savedAt"] == 1 and a["data"] == first


def test_the_keys_made_on_the_phone_are_keys_the_server_accepts(run_js):
    keys = run_js("return Array.from({ length: 20 }, () => outbox.newKey())")
    assert len(set(keys)) == 20
    assert all(KEY_PATTERN.fullmatch(key) for key in keys)
    # And the JS pattern is the server's.
    assert run_js("return outbox.KEY_PATTERN.source") == f"^{KEY_PATTERN.pattern}$"
    token = new_form_token()
    assert FORM_TOKEN.fullmatch(token)
    assert run_js("return outbox.entryFor({ scope: 's', data: { token: data.token } }).step", token=token) == token


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (201, {"next_url": "/my-care/requests/1?sent=1"}, "sent"),
        (200, {}, "sent"),
        (401, {"error": "signed_out"}, "signed_out"),
        (400, {"error": "session_expired"}, "signed_out"),
        (400, {"error": "bad_request"}, "refused"),
        (400, {"error": "idempotency_key_required"}, "refused"),
        (404, {"error": "not_found"}, "refused"),
        (409, {"error": "busy", "retry_after": 2}, "later"),
        (409, {"error": "token_used"}, "refused"),
        (409, {"error": "out_of_date"}, "refused"),
        (409, {"error": "not_open"}, "refused"),
        (413, {"error": "too_large"}, "refused"),
        (422, {"error": "invalid", "errors": {"worry": "Tell us what is worrying you"}}, "refused"),
        (429, {"error": "too_many_requests"}, "later"),
        (500, {"error": "server_error"}, "later"),
        (503, {}, "later"),
    ],
)
def test_what_each_answer_does_with_the_entry(run_js, status, body, outcome):
    """Kept ('later', 'signed_out') unless the server has it ('sent') or will never take it as it
    is ('refused': the page then posts the form, so the person reads why with what they typed)."""
    assert run_js("return outbox.outcomeOf(data.status, data.body)", status=status, body=body) == outcome


@pytest.mark.parametrize(
    ("entry", "sends", "someone_elses"),
    [
        ({"scope": "reentry", "owner": "me", "url": "/ask", "apiUrl": "/api"}, True, False),
        ({"scope": "reentry", "owner": "them", "url": "/ask", "apiUrl": "/api"}, False, True),
        ({"scope": "reentry", "url": "/ask", "apiUrl": "/api"}, False, True),
        ({"scope": "messages", "owner": "me", "url": "/ask", "apiUrl": "/api"}, False, False),
        ({"scope": "messages", "owner": "them", "url": "/ask", "apiUrl": "/api"}, False, False),
        ({"scope": "reentry", "owner": "me", "url": "/other-thread", "apiUrl": "/api"}, False, False),
        ({"scope": "reentry", "owner": "me", "url": "/ask", "apiUrl": "/old-api"}, False, False),
    ],
)
def test_a_page_sends_only_its_own_forms_entries_and_forgets_someone_elses(run_js, entry, sends, someone_elses):
    place = {"scope": "reentry", "owner": "me", "url": "/ask", "apiUrl": "/api"}
    assert run_js("return [outbox.isFor(data.entry, data.place), outbox.isSomeoneElses(data.entry, data.place)]",
                  entry=entry, place=place) == [sends, someone_elses]


@pytest.mark.parametrize(
    ("entry", "sent_here"),
    [
        ({"scope": "reentry", "owner": "me", "url": "/ask", "apiUrl": "/api"}, True),
        ({"scope": "messages", "owner": "me", "url": "/my-care/messages/4", "apiUrl": "/api"}, True),
        ({"scope": "reentry", "owner": "me", "url": "/my-care", "apiUrl": "/api"}, False),  # its own page sends it
        ({"scope": "reentry", "owner": "them", "url": "/ask", "apiUrl": "/api"}, False),
        ({"scope": "reentry", "url": "/ask", "apiUrl": "/api"}, False),
        ({"scope": "reentry", "owner": "me", "url": "/ask"}, False),
        ({"scope": "symptoms", "owner": "me", "url": "/my-care/symptoms/new", "apiUrl": "/api"}, False),
        ({"scope": "hna", "owner": "me", "url": "/hna/questions/distress", "apiUrl": "/api"}, False),
    ],
)
def test_any_page_of_the_person_sends_their_kept_requests_and_answers(run_js, entry, sent_here):
    """Symptoms (whose instruction is shown on their own page) and HNA answers (sent by hna.js)
    are not sent from other pages."""
    assert run_js("return outbox.isSentFromAnyPage(data.entry, 'me', '/my-care')", entry=entry) is sent_here


def test_no_page_sends_anything_for_nobody(run_js):
    entry = {"scope": "reentry", "owner": "", "url": "/ask", "apiUrl": "/api"}
    assert run_js("return outbox.isSentFromAnyPage(data.entry, '', '/my-care')", entry=entry) is False


SEND_ONE = """
globalThis.document = { querySelector: () => (data.pageToken ? { getAttribute: () => data.pageToken } : null) }
const answers = data.answers.slice()
const seen = []
globalThis.fetch = async (url, init = {}) => {
  seen.push([url, (init.headers || {})['X-CSRFToken'] ?? null])
  const next = answers.shift()
  if (!next) throw new TypeError('Failed to fetch')
  return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'Content-Type': 'application/json', ...(next.headers || {}) } })
}
const pauses = []
const entry = outbox.entryFor({ scope: 'hna', step: 'distress', apiUrl: '/api/hna/answers', data: { step: 'distress', data: { distress: '6' } } })
const sent = await outbox.sendEntry(entry, entry.apiUrl, data.tokenUrl ? { tokenUrl: data.tokenUrl } : {}, async s => { pauses.push(s) })
return [sent.outcome, seen, pauses]
"""
OK = {"status": 200, "body": {"saved": True}}
BUSY = {"status": 409, "body": {"error": "busy", "retry_after": 2}, "headers": {"Retry-After": "2"}}
STALE = {"status": 400, "body": {"error": "session_expired"}}
TOKEN = {"status": 200, "body": {"csrf_token": "fresh"}}
SIGNED_OUT = {"status": 401, "body": {"error": "signed_out"}}
API, TOKEN_URL = "/api/hna/answers", "/api/hna/token"


@pytest.mark.hazard("HAZ-008")
@pytest.mark.parametrize(
    ("page_token", "token_url", "answers", "outcome", "seen", "pauses"),
    [
        ("page", None, [OK], "sent", [[API, "page"]], []),
        # Busy: waited for as long as the server asks, then sent again with the same key.
        ("page", None, [BUSY, OK], "sent", [[API, "page"], [API, "page"]], [2]),
        ("page", None, [{**BUSY, "headers": {"Retry-After": "600"}}, OK], "sent", [[API, "page"]] * 2, [10]),
        ("page", None, [{**BUSY, "headers": {}, "body": {"error": "busy"}}, OK], "sent", [[API, "page"]] * 2, [1]),
        # Still busy after three waits: kept on the phone for later, never dropped.
        ("page", None, [BUSY] * 4, "later", [[API, "page"]] * 4, [2, 2, 2]),
        ("page", None, [], "later", [[API, "page"]], []),
        # A page kept for offline use has no token: one is asked for first.
        ("", TOKEN_URL, [TOKEN, OK], "sent", [[TOKEN_URL, None], [API, "fresh"]], []),
        ("", TOKEN_URL, [SIGNED_OUT], "signed_out", [[TOKEN_URL, None]], []),
        ("", TOKEN_URL, [{"status": 503, "body": {}}], "later", [[TOKEN_URL, None]], []),
        # A stale page token (signed in again since): renewed once, then sent.
        ("page", TOKEN_URL, [STALE, TOKEN, OK], "sent", [[API, "page"], [TOKEN_URL, None], [API, "fresh"]], []),
        ("page", TOKEN_URL, [STALE, SIGNED_OUT], "signed_out", [[API, "page"], [TOKEN_URL, None]], []),
        # A page with no token to renew from: signed out, kept until the person signs in again.
        ("page", None, [STALE], "signed_out", [[API, "page"]], []),
        ("page", None, [{"status": 422, "body": {"error": "invalid"}}], "refused", [[API, "page"]], []),
    ],
)
def test_sending_an_entry_waits_while_busy_and_renews_a_missing_or_stale_token(
        run_js, page_token, token_url, answers, outcome, seen, pauses):
    assert run_js(SEND_ONE, pageToken=page_token, tokenUrl=token_url, answers=answers) == [outcome, seen, pauses]


def test_an_hna_answer_is_one_entry_per_question(run_js):
    a, b, c = run_js(
        "const place = { scope: 'hna', apiUrl: '/api', url: '/hna/questions/distress' }\n"
        "return [outbox.entryFor({ ...place, step: 'distress', data: {} }), outbox.entryFor({ ...place, step: 'distress', data: {} }),"
        " outbox.entryFor({ ...place, step: 'point', data: {} })]"
    )
    assert a["step"] == b["step"] == "distress" and c["step"] == "point"
    assert len({a["id"], b["id"], c["id"]}) == 3
