"""The symptom rules kept on the phone: the JSON the phone keeps (GET /my-care/symptom-rules)
and static/js/symptom-rules.js, which must give the same level as the server's engine."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import PatientProfile, Team
from app.pathways import PATHWAYS
from app.symptoms.rules import SEVERITIES, Report, UnknownSymptom, assess, offline_rules, rules_version
from tests.helpers import sign_in_as

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "static" / "js" / "symptom-rules.js"
TODAY = date(2026, 3, 2)
EMERGENCIES = ["spinal_cord_compression", "possible_sepsis", "breathless_or_chest_pain", "confusion_or_seizure"]


def run_js(tmp_path: Path, calls: str, **data) -> object:
    """Run the module in Node.js: `calls` is the body of an async function given `data` and
    the module as `rules`; what it returns comes back as JSON. (Copied to .mjs: Node 20 reads
    a .js file outside a "type": "module" package as CommonJS.)"""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to test static/js/symptom-rules.js")
    shutil.copy(SCRIPT, tmp_path / "symptom-rules.mjs")
    (tmp_path / "run.mjs").write_text(
        "import * as rules from './symptom-rules.mjs'\n"
        "import { readFileSync } from 'node:fs'\n"
        "const data = JSON.parse(readFileSync(process.argv[2], 'utf8'))\n"
        f"const answer = await (async () => {{ {calls} }})()\n"
        "process.stdout.write(JSON.stringify(answer))\n"
    )
    (tmp_path / "data.json").write_text(json.dumps(data))
    done = subprocess.run([node, str(tmp_path / "run.mjs"), str(tmp_path / "data.json")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def python_level(pathway, symptom_id, severity, days):
    try:
        entry = Report(symptom_id, severity, TODAY - timedelta(days=days), TODAY)
        return assess(pathway, entry, [], TODAY).level.value
    except UnknownSymptom:
        return None


def cases_for(pathway) -> list[tuple]:
    rules = offline_rules(pathway)
    ids = [s["id"] for s in rules["symptoms"]] + [None, "rectal_bleeding", "rising_psa", "made_up"]
    durations = sorted({0, 13, 20, 21, 40} | {s.get("after_days", 0) + d for s in rules["symptoms"] for d in (-1, 0)})
    return [(symptom_id, severity, days) for symptom_id in ids for severity in SEVERITIES for days in durations if days >= 0]


@pytest.mark.hazard("HAZ-016")
def test_the_phone_and_the_server_give_every_symptom_the_same_level(tmp_path):
    tables = {str(pathway): {"rules": offline_rules(pathway), "cases": cases_for(pathway)} for pathway in [*PATHWAYS, None]}
    answers = run_js(
        tmp_path,
        "const out = {}\n"
        "for (const [key, t] of Object.entries(data.tables)) "
        "out[key] = t.cases.map(([id, severity, days]) => rules.levelOffline(t.rules, id, severity, days))\n"
        "return out",
        tables=tables,
    )
    for key, table in tables.items():
        pathway = None if key == "None" else key
        expected = [python_level(pathway, *case) for case in table["cases"]]
        disagree = [(case, js, py) for case, js, py in zip(table["cases"], answers[key], expected, strict=True) if js != py]
        assert disagree == [], key
    assert "emergency" in answers["None"] and "red_flag" in answers["colorectal"] and "watch" in answers["lung"]


def test_the_phone_follows_a_watch_symptoms_own_rules_as_the_server_does(tmp_path, monkeypatch):
    from app.followup.pathway_content import load_pathway_definition
    from tests.symptoms.test_rules import with_rules

    definition = load_pathway_definition(with_rules(
        pathways__breast__watch__0__watch_rules={"persists_days": 42, "severe_raises": False}))
    monkeypatch.setattr("app.symptoms.rules.bundled_definition", lambda: definition)
    cases = [(s, severity, days) for s in ("tiredness", "joint_aches") for severity in SEVERITIES for days in (0, 21, 41, 42)]
    levels = run_js(tmp_path, "return data.cases.map(([id, s, d]) => rules.levelOffline(data.rules, id, s, d))",
                    rules=offline_rules("breast"), cases=cases)
    assert levels == [python_level("breast", *case) for case in cases]
    assert levels[:4] == ["watch", "watch", "watch", "red_flag"]


@pytest.mark.hazard("HAZ-016")
def test_offline_an_emergency_says_call_999_and_the_own_line_and_never_that_the_team_knows(tmp_path):
    own_link = '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>'
    rules = {**offline_rules("prostate"), "urgent_line": {"name": "Acute oncology", "phone": "020 7946 0999", "link": own_link}}
    no_line = {**rules, "urgent_line": {"name": None, "phone": None, "link": None}}
    shown = run_js(
        tmp_path,
        "const at = (r, id, severity, days) => rules.offlineInstruction(r, rules.levelOffline(r, id, severity, days))\n"
        "return [at(data.rules, 'possible_sepsis', 'mild'), at(data.no_line, 'spinal_cord_compression', 'mild'),"
        " at(data.rules, 'blood_in_urine', 'mild'), at(data.no_line, 'blood_in_urine', 'mild'),"
        " at(data.rules, 'hot_flushes', 'mild', 2), at(data.rules, 'bone_pain', 'mild')]",
        rules=rules, no_line=no_line,
    )
    emergency, emergency_no_line, red_flag, red_flag_no_line, watch, unknown_days = shown
    assert emergency["level"] == "emergency" and emergency["advice"] == rules["advice"]["emergency"]
    call_999, call_111 = ("Emergency services", '<a href="tel:999">999</a>'), ("NHS 111", '<a href="tel:111">111</a>')
    own_line = ("Acute oncology", own_link)  # as the server made it (urgent_line_of), never rebuilt

    def calls(instruction):
        return [(c["name"], c["link"]) for c in instruction["call"]]
    assert calls(emergency) == [call_999, own_line]
    assert calls(emergency_no_line) == [call_999]
    assert calls(red_flag) == [own_line]
    assert calls(red_flag_no_line) == [call_111]
    assert (watch["level"], watch["call"]) == ("watch", [])
    assert unknown_days["level"] == "red_flag"  # no start date: a red flag, the safe side
    for instruction in shown:
        assert instruction["teamTold"] is False and "has not been told yet" in instruction["notice"]


@pytest.mark.hazard("HAZ-002")
@pytest.mark.hazard("HAZ-016")
def test_offline_a_line_kept_before_lines_came_with_their_link_is_still_the_number_to_call(tmp_path):
    """Rules kept by an older symptoms.js hold the line as {name, phone, dial}, with no link; a
    line whose number cannot be dialled has link null. Either way the person's own line is the
    number to call, shown as plain text (no link is made on the phone, HAZ-011), never 111 in
    its place; a team with no line still gets 999 and 111."""
    old_shape = {"name": "Acute oncology", "phone": "020 7946 0999", "dial": "02079460999"}
    no_link = {"name": "Acute oncology", "phone": "020 7946 0999 ext 12", "link": None}
    no_line_old_shape = {"name": None, "phone": None, "dial": None}
    cases = [{**offline_rules("prostate"), "urgent_line": line} for line in (old_shape, no_link, no_line_old_shape)]
    shown = run_js(
        tmp_path,
        "return data.cases.flatMap(r => ['possible_sepsis', 'blood_in_urine'].map(id =>"
        " rules.offlineInstruction(r, rules.levelOffline(r, id, 'mild')).call))",
        cases=cases,
    )
    call_999 = {"name": "Emergency services", "link": '<a href="tel:999">999</a>'}
    call_111 = {"name": "NHS 111", "link": '<a href="tel:111">111</a>'}
    old_line = {"name": "Acute oncology", "phone": "020 7946 0999", "link": None}
    undiallable = {"name": "Acute oncology", "phone": "020 7946 0999 ext 12", "link": None}
    assert shown == [[call_999, old_line], [old_line], [call_999, undiallable], [undiallable], [call_999], [call_111]]


def test_a_red_flag_with_a_duration_and_no_start_date_counts_as_reached_offline(tmp_path):
    levels = run_js(tmp_path, "return [rules.levelOffline(data.r, 'bowel_habit_change', 'mild'),"
                              " rules.levelOffline(data.r, 'bowel_habit_change', 'mild', 20)]",
                    r=offline_rules("colorectal"))
    assert levels == ["red_flag", "watch"]


def set_line(app, team_id, phone):
    with app.app_context():
        db.session.get(Team, team_id).out_of_hours_phone = phone
        db.session.commit()


@pytest.mark.hazard("HAZ-016")
def test_the_rules_to_keep_are_the_persons_own_pathway_with_their_24_hour_line(app, client, actors):
    set_line(app, actors.team_a, "020 7946 0999")
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).tumour_pathway = "colorectal"
        db.session.commit()
    sign_in_as(client, actors.patient_a)
    response = client.get("/my-care/symptom-rules", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    kept = response.get_json()
    assert kept["version"] == rules_version() and kept["pathway"] == "colorectal"
    assert [s["id"] for s in kept["symptoms"][:4]] == EMERGENCIES
    assert {s["level"] for s in kept["symptoms"][:4]} == {"emergency"} and all(s["text"] for s in kept["symptoms"])
    assert "999" in kept["advice"]["emergency"]
    assert kept["urgent_line"]["link"] == '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>'
    assert {"id": "bowel_habit_change", "text": "A change in your bowel habit", "level": "red_flag", "after_days": 21} in kept["symptoms"]


@pytest.mark.hazard("HAZ-003")
def test_the_rules_to_keep_are_only_ever_the_signed_in_patients(app, client, actors):
    set_line(app, actors.team_b, "0161 496 0999")
    sign_in_as(client, actors.patient_b)
    assert 'href="tel:01614960999"' in client.get("/my-care/symptom-rules").get_json()["urgent_line"]["link"]
    for staff in (actors.nurse_a, actors.admin):
        sign_in_as(client, staff)
        assert client.get("/my-care/symptom-rules").status_code == 404


def _symptom_form_owner(client) -> str:
    match = re.search(r'data-outbox-owner="([0-9a-f]+)"', client.get("/my-care/symptoms/new").get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.hazard("HAZ-003")
def test_the_rules_to_keep_name_their_person_as_the_symptom_form_does(app, client, actors):
    """A symptom page loaded for person A long ago refreshes its rules (and the team line in them)
    when the phone comes back online, with whoever's cookie the phone holds now: the answer names
    its person with the opaque id A's form carries (data-outbox-owner), so static/js/symptoms.js
    keeps it only for that person."""
    owners = {}
    for person in (actors.patient_a, actors.patient_b):
        sign_in_as(client, person)
        owners[person] = client.get("/my-care/symptom-rules").get_json()["owner"]
        assert owners[person] == _symptom_form_owner(client)
    assert owners[actors.patient_a] != owners[actors.patient_b]
    assert all(re.fullmatch(r"[0-9a-f]{32}", owner) for owner in owners.values())


@pytest.mark.hazard("HAZ-016")
def test_on_a_pathway_with_no_rules_the_emergencies_are_still_kept(app, client, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).tumour_pathway = "pancreas"
        db.session.commit()
    sign_in_as(client, actors.patient_a)
    kept = client.get("/my-care/symptom-rules").get_json()
    assert kept["pathway"] is None and [s["id"] for s in kept["symptoms"]] == EMERGENCIES
    assert kept["urgent_line"] == {"name": None, "phone": None, "link": None, "dial": None}
