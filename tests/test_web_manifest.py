"""The web app manifest (app/main/web_manifest.py): what it says, that every page links to it, and
that every image it names is there at the size it claims. Chromium's own installability check is
tests/e2e/test_install.py."""
from __future__ import annotations

import math
import re
import struct
import zlib

import pytest

from tests.helpers import sign_in_as
from tests.test_service_worker import precached

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def manifest_of(client) -> dict:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    return response.get_json(force=True)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which always comes first."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_pixels(data: bytes) -> list[list[tuple[int, ...]]]:
    """Rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes), undoing the
    per-row filters of the PNG specification."""
    width, height = png_size(data)
    bit_depth, colour_type, _c, _f, interlace = data[24:29]
    assert bit_depth == 8 and colour_type in (2, 6) and interlace == 0
    channels = 4 if colour_type == 6 else 3
    compressed, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            compressed += data[at + 8:at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(compressed)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                nearest = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up),
                              (abs(estimate - up_left), 2, up_left))[2]
                line[x] = (line[x] + nearest) & 0xFF
        rows.append([tuple(line[i:i + channels]) for i in range(0, stride, channels)])
        previous = line
    return rows


def test_the_manifest_is_served_as_a_manifest_to_anyone(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    # Like every dynamic response; it is small and fetched without cookies.
    assert response.headers["Cache-Control"] == "no-store"


def test_the_manifest_names_the_app_and_makes_it_a_standalone_app_over_the_whole_site(client):
    manifest = manifest_of(client)
    assert manifest["name"] == "Manage your cancer care"
    assert manifest["description"]
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/"
    assert manifest["start_url"] == "/"
    assert manifest["id"] == "/"
    assert manifest["lang"] == "en-GB"
    assert manifest["theme_color"] == "#005eb8"  # NHS blue
    assert manifest["background_color"] == "#ffffff"


def test_the_name_under_the_icon_is_short_and_says_nothing_about_cancer(client):
    # A home screen is seen by whoever holds the phone.
    short_name = manifest_of(client)["short_name"]
    assert short_name == "My care"
    assert len(short_name) <= 12
    assert "cancer" not in short_name.lower()


def test_the_icon_sources_hold_no_words():
    from pathlib import Path

    # static/ holds the sources; the app serves them from the asset build (app/assets.py).
    svgs = sorted((Path(__file__).resolve().parent.parent / "static" / "icons").glob("*.svg"))
    assert svgs
    for svg in svgs:
        assert "<text" not in svg.read_text(encoding="utf-8"), svg.name


@pytest.mark.parametrize("url", ["/", "/sign-in", "/offline", "/no-such-page", "/my-care", "/nurse/queue"])
def test_every_page_links_the_manifest_and_has_its_theme_colour(app, client, actors, url):
    if url == "/my-care":
        sign_in_as(client, actors.patient_a)
    elif url == "/nurse/queue":
        sign_in_as(client, actors.nurse_a)
    raw = client.get(url).get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in raw
    assert re.search(r'<meta name="theme-color" content="([^"]+)">', raw).group(1) == manifest_of(client)["theme_color"]


def test_the_icons_are_192_and_512_pixels_for_any_use_and_for_masking(client):
    icons = manifest_of(client)["icons"]
    assert {(icon["sizes"], icon["purpose"]) for icon in icons} == {
        ("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable"),
    }


def test_every_image_the_manifest_names_is_there_at_the_size_it_claims(client):
    manifest = manifest_of(client)
    images = manifest["icons"] + manifest["screenshots"]
    for image in images:
        with client.get(image["src"]) as response:
            assert response.status_code == 200, image["src"]
            assert response.mimetype == image["type"] == "image/png"
            width, height = png_size(response.get_data())
        assert f"{width}x{height}" == image["sizes"], image["src"]


def test_the_maskable_icon_keeps_everything_but_its_background_inside_the_safe_zone(client):
    """A phone cuts any shape it likes out of a maskable icon, keeping at least the central
    circle of radius 40%; everything outside it must be plain background."""
    icon = next(i for i in manifest_of(client)["icons"] if i["purpose"] == "maskable" and i["sizes"] == "192x192")
    with client.get(icon["src"]) as response:
        rows = png_pixels(response.get_data())
    size = len(rows)
    background = rows[0][0]
    assert background[:3] == (0x00, 0x5E, 0xB8) and background[3:] in ((), (255,))
    centre, safe_radius = (size - 1) / 2, 0.4 * size
    outside = [(x, y) for y, row in enumerate(rows) for x, pixel in enumerate(row)
               if pixel != background and math.dist((x, y), (centre, centre)) > safe_radius]
    assert outside == []
    # ...and there is a picture inside it at all.
    assert any(pixel != background for row in rows for pixel in row)


def test_the_screenshots_are_for_a_phone_and_a_computer_and_never_kept_by_the_service_worker(client):
    screenshots = manifest_of(client)["screenshots"]
    assert sorted(shot["form_factor"] for shot in screenshots) == ["narrow", "wide"]
    assert all(shot["label"] for shot in screenshots)
    # Only the install dialog shows them: a phone should not download them on every install of
    # the service worker.
    kept = precached(client)
    assert not [shot["src"] for shot in screenshots if shot["src"] in kept]
    assert not [path for path in kept if "/screenshots/" in path]


def test_ios_gets_the_neutral_name_and_an_opaque_full_bleed_icon(client):
    raw = client.get("/").get_data(as_text=True)
    assert '<meta name="apple-mobile-web-app-title" content="My care">' in raw
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in raw
    assert '<meta name="mobile-web-app-capable" content="yes">' in raw
    href = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', raw).group(1)
    with client.get(href) as response:
        assert response.status_code == 200
        data = response.get_data()
    assert png_size(data) == (180, 180)
    # iOS shows transparency as black and rounds the corners itself: every pixel is opaque.
    rows = png_pixels(data)
    assert all(pixel[3:] in ((), (255,)) for row in rows for pixel in row)
    assert rows[0][0][:3] == (0x00, 0x5E, 0xB8)
