"""The web app manifest: what a phone needs to install the app on its home screen.

A home screen and the list of installed apps are seen by whoever holds the phone, so the name
under the icon is neutral ("My care") and the icon carries no words. The full name appears only
in the install dialog, which the person opens themselves.

Icons and screenshots are rendered from the SVG sources in static/icons/ and from the demo by
scripts/render_app_images.py and committed. Screenshots live in static/screenshots/, which the
service worker never keeps: they are only for the install dialog.
"""
from __future__ import annotations

from flask import url_for

from ..assets import asset_url

NAME = "Manage your cancer care"
SHORT_NAME = "My care"
DESCRIPTION = "Your care plan, contacts, symptoms, results and messages from your care team, on your phone."
# NHS blue (the design system's $color_nhsuk-blue) for the browser bar, white behind the splash icon.
THEME_COLOUR = "#005eb8"
BACKGROUND_COLOUR = "#ffffff"
MANIFEST_MIMETYPE = "application/manifest+json"

# (file under static/, pixel size, purpose)
ICONS = (
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/icon-maskable-192.png", 192, "maskable"),
    ("icons/icon-maskable-512.png", 512, "maskable"),
)
# (file under static/, width, height, form factor, what it shows)
SCREENSHOTS = (
    ("screenshots/home-narrow.png", 390, 844, "narrow", "Home: what needs doing now, and who to call"),
    ("screenshots/home-wide.png", 1280, 800, "wide", "Home on a computer"),
)


def web_manifest() -> dict:
    """The manifest as JSON-ready data; image URLs come from asset_url (content-hashed names,
    cached immutable). Needs a request or app context."""
    return {
        # `id` fixes the app's identity: start_url may change later without a second install.
        "id": "/",
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": DESCRIPTION,
        "lang": "en-GB",
        "dir": "ltr",
        # The start page sends each person to their own home (a patient's care, a nurse's queue),
        # or to sign in; offline, the service worker shows the offline page.
        "start_url": url_for("main.index"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["health", "medical"],
        "prefer_related_applications": False,
        "icons": [
            {"src": asset_url(path), "sizes": f"{size}x{size}", "type": "image/png",
             "purpose": purpose}
            for path, size, purpose in ICONS
        ],
        "screenshots": [
            {"src": asset_url(path), "sizes": f"{width}x{height}", "type": "image/png",
             "form_factor": form_factor, "label": label}
            for path, width, height, form_factor, label in SCREENSHOTS
        ],
    }
