"""Static files: served by WhiteNoise from the build (scripts/build_assets.py), named by their
content's hash, and the one helper that gives templates their URLs (`asset_url`).

A hashed name (`js/app.3f9a1c2b7e4d.js`) never changes content, so it is cached `immutable` for
a year; an unhashed name is still served but checked with the server each time (`no-cache`).
WhiteNoise sends the brotli or gzip file the build wrote beside each one when the browser
accepts it. Nothing the app renders is ever served from here: pages stay `no-store`
(app/security.py).
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, current_app
from whitenoise import WhiteNoise

from config import BASE_DIR

from .security import static_file_security_headers

BUILT = BASE_DIR / "built"
MANIFEST = "assets.json"
SERVICE_WORKER = BASE_DIR / "service-worker" / "service-worker.js"
PREFIX = "/static/"
# What scripts/build_assets.py names a file: its content's hash before the extension.
CONTENT_HASHED = r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$"
ONE_YEAR = 365 * 24 * 60 * 60


class AssetsNotBuilt(RuntimeError):
    pass


class MissingAsset(LookupError):
    """A template asked for a file static/ does not have (or the build has not seen yet)."""


class StaticFiles(WhiteNoise):
    # WhiteNoise's "forever" is ten years; a year is what browsers and the issue expect.
    FOREVER = ONE_YEAR


class Assets:
    def __init__(self, built: Path) -> None:
        manifest = built / MANIFEST
        if not manifest.is_file():
            raise AssetsNotBuilt(f"{manifest} is missing: run `scripts/build_assets.py` (scripts/setup does)")
        data = json.loads(manifest.read_text(encoding="utf-8"))
        self.files: dict[str, str] = data["files"]
        self.version: str = data["version"]
        self.precache: list[str] = [PREFIX + name for name in data["precache"]]
        self.root = built / "static"

    def url(self, name: str) -> str:
        try:
            return PREFIX + self.files[name]
        except KeyError:
            raise MissingAsset(f"static/{name} is not in the asset build: is the name right, and "
                               "has scripts/build_assets.py run since it was added?") from None


def service_worker_script(source: Path = SERVICE_WORKER) -> str:
    """The service worker as served: the build's version and precache list written in above
    service-worker/service-worker.js, so nobody keeps either by hand. Any change to an asset
    changes these bytes, which is how the browser notices a new version."""
    assets = current_assets()
    prelude = (
        "/* Written by the server from the asset build (app/assets.py): not in the source file. */\n"
        f"const ASSETS_VERSION = {json.dumps(assets.version)}\n"
        f"const PRECACHE_ASSETS = {json.dumps(assets.precache, indent=1)}\n\n"
    )
    return prelude + source.read_text(encoding="utf-8")


def _unhashed_files_are_checked_each_time(headers, path: str, url: str) -> None:
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-cache"
    for name, value in static_file_security_headers().items():
        headers[name] = value


def init_assets(app: Flask) -> None:
    assets = Assets(Path(app.config.get("ASSETS_BUILT_DIR") or BUILT))
    app.extensions["assets"] = assets
    app.jinja_env.globals["asset_url"] = asset_url
    app.wsgi_app = StaticFiles(
        app.wsgi_app,
        root=assets.root,
        prefix=PREFIX,
        max_age=None,
        allow_all_origins=False,
        immutable_file_test=CONTENT_HASHED,
        add_headers_function=_unhashed_files_are_checked_each_time,
    )


def current_assets() -> Assets:
    return current_app.extensions["assets"]


def asset_url(name: str) -> str:
    """`asset_url('js/app.js')` -> `/static/js/app.3f9a1c2b7e4d.js`; a name the build does not
    have raises MissingAsset, so a page never links to a file that is not there."""
    return current_assets().url(name)
