"""scripts/page_snapshot.py: two snapshots of unchanged code are the same, so `diff -r` of a
snapshot before and after a change shows only what the change did to pages."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    spec = importlib.util.spec_from_file_location("page_snapshot", ROOT / "scripts" / "page_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


page_snapshot = _load_script()


def _files(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): path.read_text() for path in sorted(folder.rglob("*.html"))}


@pytest.mark.tools
def test_two_runs_on_the_same_code_give_the_same_pages(tmp_path):
    # A patient and a nurse: between them every kind of masked value (CSRF tokens, nonces,
    # form tokens, outbox owners, session seconds, push keys, times of day) is on their pages.
    people = ["David Hughes", "Sam Taylor", page_snapshot.SIGNED_OUT]
    runs = []
    for run in ("first", "second"):
        out = tmp_path / run
        page_snapshot.snapshot(out, f"sqlite:///{tmp_path / run}.sqlite", tmp_path / f"{run}-instance",
                               people, limit=25)
        runs.append(_files(out))
    first, second = runs
    assert {name.split("/")[0] for name in first} == {"david-hughes", "sam-taylor", "signed-out"}
    assert "signed-out/sign-in.html" in first
    assert len(first) > 40  # 25 pages each, less the odd non-HTML link, plus a form's errors
    assert "sam-taylor/nurse__patients__new--form-errors.html" in first
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


@pytest.mark.parametrize("raw, masked", [
    ('<meta name="csrf-token" content="IjAbC.def">', '<meta name="csrf-token" content="CSRF">'),
    ('<input type="hidden" name="csrf_token" value="IjAbC.def">',
     '<input type="hidden" name="csrf_token" value="CSRF">'),
    ('<script nonce="r4nd0m" src="/x.js">', '<script nonce="NONCE" src="/x.js">'),
    ('<input type="hidden" name="test-add_token" value="JdfWXg">',
     '<input type="hidden" name="test-add_token" value="TOKEN">'),
    ('<body data-session-left="592">', '<body data-session-left="SECONDS">'),
    ('<form data-outbox-owner="8cdb86">', '<form data-outbox-owner="OWNER">'),
    ('<form data-outbox-owner="">', '<form data-outbox-owner="">'),  # signed out: nothing to hide
    ("sent 25 November 2026 at 10:42am", "sent 25 November 2026 at TIME"),
    ("Tue 24 Nov, 9:30am and 5pm", "Tue 24 Nov, TIME and TIME"),
    ("24 Nov 2026, 9:30:05am", "24 Nov 2026, TIME"),
    ("at midday, not midnight", "at TIME, not TIME"),
    ('<time datetime="2026-12-07T00:24:03.123+00:00">', '<time datetime="2026-12-07TTIME">'),
    ("at 14:05 or 09:30:59", "at TIME or TIME"),
    ('<script src="/static/js/app.05aae927e37d.js">', '<script src="/static/js/app.HASH.js">'),
    # Kept: dates, phone numbers, NHS numbers, ids, scores.
    ("14 March 2026", "14 March 2026"),
    ("020 7946 0123", "020 7946 0123"),
    ("999 123 4567", "999 123 4567"),
    ('<a href="/nurse/patients/12">', '<a href="/nurse/patients/12">'),
    ("scored 8 out of 10", "scored 8 out of 10"),
])
def test_what_differs_between_runs_is_masked_and_nothing_else(raw, masked):
    assert page_snapshot.mask(raw) == masked


@pytest.mark.parametrize("path, name", [
    ("/", "index.html"),
    ("/my-care", "my-care.html"),
    ("/nurse/patients/3/care-plan", "nurse__patients__3__care-plan.html"),
    ("/nurse/patients/2/care-plan/edit?hna_id=1", "nurse__patients__2__care-plan__edit--hna_id=1.html"),
    ("/nurse/queue?filter=mine&page=2", "nurse__queue--filter=mine&page=2.html"),
    ("/a b/c", "a%20b__c.html"),
])
def test_each_path_has_its_own_file_name(path, name):
    assert page_snapshot.file_name(path) == name


def test_only_same_origin_pages_are_followed_in_the_order_they_appear():
    html = """
      <a href="/my-care/plan">Plan</a> <a href="contacts#top">Contacts</a>
      <a href="https://www.nhs.uk/conditions/">NHS</a> <a href="tel:02079460999">Call</a>
      <a href="mailto:team@demo.example">Email</a> <a href="/static/css/app.css">CSS</a>
      <a href="/my-care/results?test=1">Results</a> <a>no link</a>
    """
    assert page_snapshot.links_of(html, "http://localhost/my-care/") == [
        "/my-care/plan", "/my-care/contacts", "/my-care/results?test=1"]
