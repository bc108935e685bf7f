"""The service worker's push section (service-worker/service-worker.js), run in Node.js: what a
notification shows for a payload, and the page a tap opens, the same table as the server's
open_url_for."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.push.kinds import KINDS, open_url_for, payload_for

ROOT = Path(__file__).resolve().parents[2]
SERVICE_WORKER = ROOT / "service-worker" / "service-worker.js"


def push_section() -> str:
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    match = re.search(r"// ---- Push \(app/push/\): begin.*?// ---- Push \(app/push/\): end", source, re.S)
    assert match, "the push section of the service worker is marked begin and end"
    return match.group(0)


def run_section(tmp_path: Path, payloads: list) -> list[dict]:
    """Each payload through pushNotificationFrom, in Node with a stand-in `self` (the section
    registers its listeners on it)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to test the service worker's push section")
    (tmp_path / "run.mjs").write_text(
        "import { readFileSync } from 'node:fs'\n"
        "import vm from 'node:vm'\n"
        "const [section, data] = [readFileSync(process.argv[2], 'utf8'), JSON.parse(readFileSync(process.argv[3], 'utf8'))]\n"
        "const context = { self: { addEventListener () {}, location: { origin: 'https://app.example' } }, URL }\n"
        "vm.runInNewContext(section + '\\n;globalThis.pushNotificationFrom = pushNotificationFrom', context)\n"
        "process.stdout.write(JSON.stringify(data.map(p => context.pushNotificationFrom(p))))\n"
    )
    (tmp_path / "section.js").write_text(push_section())
    (tmp_path / "data.json").write_text(json.dumps(payloads))
    done = subprocess.run([node, str(tmp_path / "run.mjs"), str(tmp_path / "section.js"), str(tmp_path / "data.json")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_kind_shows_what_the_server_sent_and_opens_the_servers_page(tmp_path):
    payloads = [payload_for(kind_id, "Your care team") for kind_id in KINDS]
    shown = run_section(tmp_path, payloads)
    for payload, notification in zip(payloads, shown, strict=True):
        assert notification["title"] == "Your care team"
        assert notification["options"]["body"] == payload["body"]
        assert notification["options"]["tag"] == payload["topic"]
        assert notification["options"]["data"]["url"] == open_url_for(payload["kind"])


@pytest.mark.parametrize("payload, title, body, tag, url", [
    # Nothing usable: the neutral words, the home page.
    (None, "Your care team", "You have something new to see in the app", "mycc", "/my-care"),
    ({}, "Your care team", "You have something new to see in the app", "mycc", "/my-care"),
    ("just text", "Your care team", "You have something new to see in the app", "mycc", "/my-care"),
    # An address in the payload is never opened: only the table's pages are.
    ({"kind": "team_reply", "url": "https://evil.example/"}, "Your care team",
     "You have something new to see in the app", "mycc", "/my-care/messages"),
    ({"kind": "constructor"}, "Your care team", "You have something new to see in the app", "mycc", "/my-care"),
    ({"kind": "__proto__"}, "Your care team", "You have something new to see in the app", "mycc", "/my-care"),
    # Text is cut short and a topic that is not one is not used as a tag.
    ({"title": "x" * 100, "body": "y" * 300, "topic": "not a topic!"}, "x" * 60, "y" * 200, "mycc", "/my-care"),
    ({"title": 42, "body": ["list"], "topic": "care_plan", "kind": "care_plan"}, "Your care team",
     "You have something new to see in the app", "care_plan", "/my-care/plan"),
])
@pytest.mark.hazard("HAZ-021")
def test_a_payload_it_cannot_trust_still_shows_a_neutral_notification(tmp_path, payload, title, body, tag, url):
    [notification] = run_section(tmp_path, [payload])
    assert notification["title"] == title
    assert (notification["options"]["body"], notification["options"]["tag"]) == (body, tag)
    assert notification["options"]["data"]["url"] == url
