"""The service worker keeps everything the offline page needs to work with no signal, from a
list the asset build wrote (no list or version kept by hand)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_assets import build, referenced_assets

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "service-worker" / "service-worker.js"


def served_worker(client) -> str:
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def precached(client) -> set[str]:
    script = served_worker(client)
    listing = json.loads(re.search(r"^const PRECACHE_ASSETS = (\[.*?\])$", script, re.S | re.M).group(1))
    offline_url = re.search(r"const OFFLINE_URL = '([^']+)'", script).group(1)
    assert re.search(r"const PRECACHE = \[OFFLINE_URL, \.\.\.PRECACHE_ASSETS\]", script)
    return set(listing) | {offline_url}


@pytest.mark.hazard("HAZ-002")
def test_the_offline_page_and_every_file_it_loads_are_kept_by_the_service_worker(client):
    raw = client.get("/offline").get_data(as_text=True)
    loaded: set[str] = set()
    # Following CSS url()s and JS imports: a module that fails to load offline stops the whole
    # page's script, the urgent line included.
    for link in re.findall(r'(?:src|href)="(/static/[^"?]+)"', raw):
        referenced_assets(client, link, loaded)
    assert any(re.fullmatch(r"/static/js/urgent-line\.[0-9a-f]{12}\.js", url) for url in loaded)
    assert "/offline" in precached(client)
    assert loaded - precached(client) == set()


def test_the_worker_keeps_every_hashed_asset_of_this_build_and_names_its_caches_by_the_builds_version(app, client):
    assets = app.extensions["assets"]
    script = served_worker(client)
    assert script.startswith("/* Written by the server from the asset build")
    assert f"const ASSETS_VERSION = \"{assets.version}\"\n" in script
    assert precached(client) == {"/offline"} | {"/static/" + hashed for name, hashed in assets.files.items()
                                                 if not name.startswith("screenshots/")}
    # The rest is the source file as written; it keeps no version or list of its own.
    assert script.endswith(SOURCE.read_text(encoding="utf-8"))
    source = SOURCE.read_text(encoding="utf-8")
    assert "const STATIC_CACHE = `mycc-static-${ASSETS_VERSION}`" in source
    assert "CACHE_VERSION" not in source
    assert re.findall(r"['\"`]/static/[^'\"`]+\.[a-z]+['\"`]", source) == []


def test_the_worker_is_served_at_the_root_for_the_whole_site_and_never_stored(client):
    response = client.get("/service-worker.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("name", "kept"), [
    ("js/app.js", True),
    ("icons/icon-192.png", True),
    ("screenshots/home-narrow.png", False),
    ("screenshots/wide/home.png", False),
])
def test_manifest_screenshots_are_never_precached(tmp_path, name, kept):
    manifest = build(tmp_path, {name: "x"})
    assert (manifest["files"][name] in manifest["precache"]) is kept
    assert all(not hashed.startswith("screenshots/") for hashed in manifest["precache"])


@pytest.mark.parametrize("path", ["/", "/offline", "/sign-in/password"])
def test_every_page_has_the_update_notice_hidden_until_a_new_version_waits(client, path):
    raw = client.get(path).get_data(as_text=True)
    notice = re.search(r'<div role="status" data-update-notice>\s*<div hidden data-update-notice-banner>(.*?)</div>\s*</div>\s*</div>\s*</div>', raw, re.S)
    assert notice, "the status region and its hidden banner"
    assert "A new version is ready — refresh when you have finished what you are doing" in notice.group(1)
    assert re.search(r'<button type="button" class="nhsuk-button[^"]*" data-update-refresh>Refresh now</button>', notice.group(1))


def test_a_new_version_never_takes_over_by_itself():
    """Only the page's SKIP_WAITING, sent when the person presses Refresh now, lets it."""
    source = SOURCE.read_text(encoding="utf-8")
    assert source.count("self.skipWaiting()") == 1
    assert re.search(r"event\.data\.type === 'SKIP_WAITING'\) self\.skipWaiting\(\)", source)
