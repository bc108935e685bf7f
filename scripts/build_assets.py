"""Copy the compiled NHS.UK frontend from node_modules into static/nhsuk/.

Two changes on the way: the CSS's @font-face rules are removed (they load Frutiger from
an NHS CDN; our CSP allows no request to leave the site, so the system font is used),
and its /assets/ URLs are pointed at where we serve them.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
TARGET = ROOT / "static" / "nhsuk"
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


def main() -> int:
    if not SOURCE.is_dir():
        print(f"{SOURCE} is missing: run `npm ci` first", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    (TARGET / "assets").mkdir(parents=True)
    shutil.copytree(SOURCE / "assets" / "images", TARGET / "assets" / "images")
    css = (SOURCE / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css)
    css = css.replace("url(/assets/", "url(/static/nhsuk/assets/")
    css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
    (TARGET / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    js = (SOURCE / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    (TARGET / "nhsuk-frontend.min.js").write_text(js, encoding="utf-8")
    remaining = re.findall(r"url\((https?:[^)]*)\)", css)
    if remaining:
        print(f"external URLs left in CSS: {remaining}", file=sys.stderr)
        return 1
    print(f"NHS.UK frontend copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
