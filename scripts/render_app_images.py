"""Render the install images that are committed: the app's icons from their SVG sources in
static/icons/, and the install dialog's screenshots from the demo.

    .venv/bin/python scripts/render_app_images.py            # icons and screenshots
    .venv/bin/python scripts/render_app_images.py --icons    # icons only

Run it after changing an icon's SVG or the home page's look, and commit the PNGs. It uses
Debian's Chromium through Playwright, as the browser tests do (never `playwright install`),
so it needs nothing the test set-up does not already install. The PNGs are committed rather
than made at set-up because a phone only ever sees the PNGs and they change rarely.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app.main.web_manifest import SCREENSHOTS  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ICONS_DIR = ROOT / "static" / "icons"
# (SVG source, PNG written, size in pixels)
ICON_RENDERS = (
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable.svg", "icon-maskable-192.png", 192),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
    # iOS rounds the corners of its home screen icons itself and shows transparency as black,
    # so its icon is the full-bleed one.
    ("icon-maskable.svg", "apple-touch-icon-180.png", 180),
)
# The demo patient whose home page the screenshots show (made-up data).
SCREENSHOT_PERSON = "David Hughes"


class QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def render_icons(browser) -> None:
    for source, target, size in ICON_RENDERS:
        svg = (ICONS_DIR / source).read_bytes()
        page = browser.new_page(viewport={"width": size, "height": size}, device_scale_factor=1)
        data = base64.b64encode(svg).decode("ascii")
        page.set_content(
            "<!DOCTYPE html><html><body style='margin:0;background:transparent'>"
            f"<img src='data:image/svg+xml;base64,{data}' width='{size}' height='{size}' style='display:block'>"
            "</body></html>"
        )
        page.wait_for_load_state("load")
        page.screenshot(path=str(ICONS_DIR / target), omit_background=True)
        page.close()
        print(f"static/icons/{target} ({size}x{size}) from static/icons/{source}")


def render_screenshots(browser) -> None:
    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db

    with tempfile.TemporaryDirectory() as workdir:
        # A throwaway demo: its database and instance folder vanish with the screenshots taken.
        os.environ["INSTANCE_PATH"] = workdir
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/demo.sqlite",
            "DEMO_MODE": True,
            "RATELIMIT_ENABLED": False,
        })
        with app.app_context():
            db.create_all()
            seed_demo("http://localhost")
        server = make_server("localhost", 0, app, threaded=True, request_handler=QuietRequestHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://localhost:{server.server_port}"
        try:
            for path, width, height, form_factor, _label in SCREENSHOTS:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=1,
                    is_mobile=form_factor == "narrow", has_touch=form_factor == "narrow",
                    locale="en-GB", timezone_id="Europe/London", base_url=base_url,
                    service_workers="block",
                )
                page = context.new_page()
                page.goto("/demo")
                page.get_by_role("button", name=f"Sign in as {SCREENSHOT_PERSON}").click()
                page.wait_for_url("**/my-care")
                page.wait_for_load_state("load")
                page.screenshot(path=str(ROOT / "static" / path))
                context.close()
                print(f"static/{path} ({width}x{height}, {form_factor})")
        finally:
            server.shutdown()
            server.server_close()
            with app.app_context():
                db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icons", action="store_true", help="render the icons only")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            render_icons(browser)
            if not arguments.icons:
                render_screenshots(browser)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
