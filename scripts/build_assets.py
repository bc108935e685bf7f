"""Build the static files the app serves: `static/` in, `built/` out (nothing here is committed).

1. Copy the compiled NHS.UK frontend from node_modules into static/nhsuk/, with two changes on
   the way: the CSS's @font-face rules are removed (they load Frutiger from an NHS CDN; our CSP
   allows no request to leave the site, so the system font is used), and its /assets/ URLs are
   pointed at where we serve them. Only the images a page or the CSS can use are copied.
2. Give every file under static/ a content-hashed name (`css/app.3f9a1c2b7e4d.css`) in
   built/static/, rewriting the references between files first (CSS `url()`, JS `import`), so
   that a file's hash covers what it loads: a changed csrf.js gives app.js a new name too.
   The unhashed name is written as well (served `no-cache`), the hashed one is served
   `immutable` for a year (app/assets.py).
3. Compress every file with WhiteNoise's compressor (brotli and gzip beside each file).
4. Write built/assets.json: each name's hashed name, the build's version (a hash over every
   hashed name, which names the service worker's cache), the list the service worker precaches
   (every hashed file but the manifest's screenshots) and a digest of the sources (the test
   suite rebuilds when static/ changed since: `build_if_stale`).

`scripts/setup` runs all of it; `--hash-only` skips the copy from node_modules.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NHSUK_SOURCE = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATIC = ROOT / "static"
NHSUK_TARGET = STATIC / "nhsuk"
NHSUK_ENTRY = ROOT / "scripts" / "nhsuk-frontend-entry.mjs"
BUILT = ROOT / "built"
MANIFEST_NAME = "assets.json"
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
# The design system's images a page links to itself (templates/base.html); the ones its CSS
# uses are found by reading the CSS. The rest (open graph image, other sizes) are never used.
NHSUK_IMAGES_LINKED = {"favicon.ico", "favicon.svg", "nhsuk-icon-180.png"}
# Design system components no template, script or macro of ours uses: their CSS is left out
# (about a quarter of the design system's compressed CSS). tests/test_assets.py fails when a
# page starts using one: take it off this list then.
UNUSED_NHSUK_COMPONENTS = (
    "action-link", "breadcrumb", "code", "contents-list", "do-dont-list", "expander",
    "expander-group", "file-upload", "hero", "hero-content", "image", "link-image",
    "password-input", "search-input", "tabs", "task-list",
)

HASH_LENGTH = 12
# Never kept by the service worker: the web app manifest's screenshots are for the install
# prompt only, and every phone would otherwise download them.
NOT_PRECACHED = ("screenshots/",)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")
# `import x from '…'`, `export { x } from '…'`, `import '…'` and `import('…')`.
JS_SPECIFIER = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\2""")


class BuildError(RuntimeError):
    pass


# ---------------------------------------------------------------- 1. the NHS.UK frontend


def copy_nhsuk_frontend() -> None:
    if not NHSUK_SOURCE.is_dir():
        raise BuildError(f"{NHSUK_SOURCE} is missing: run `npm ci` first")
    if NHSUK_TARGET.exists():
        shutil.rmtree(NHSUK_TARGET)
    images = NHSUK_TARGET / "assets" / "images"
    images.mkdir(parents=True)
    css = (NHSUK_SOURCE / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css)
    css = css.replace("url(/assets/", "url(/static/nhsuk/assets/")
    css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
    css = without_components(css, UNUSED_NHSUK_COMPONENTS)
    used, families = utilities_named(path.read_text(encoding="utf-8") for path in utility_sources())
    css = without_unused_utilities(css, used, families)
    remaining = re.findall(r"url\((https?:[^)]*)\)", css)
    if remaining:
        raise BuildError(f"external URLs left in CSS: {remaining}")
    (NHSUK_TARGET / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    bundle_nhsuk_script(NHSUK_TARGET / "nhsuk-frontend.min.js")
    used_by_css = set(re.findall(r"url\(/static/nhsuk/assets/images/([^)]+)\)", css))
    for name in sorted(NHSUK_IMAGES_LINKED | used_by_css):
        shutil.copy2(NHSUK_SOURCE / "assets" / "images" / name, images / name)


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split at `separator` outside any (), [] or quotes: `a:not(.b,.c),d` is two selectors."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _css_blocks(css: str) -> list[tuple[str, str]]:
    """(prelude, body) of each top-level block of minified CSS (no comments left)."""
    blocks, depth, quote, start, brace = [], 0, "", 0, 0
    for index, char in enumerate(css):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "{":
            if depth == 0:
                brace = index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                blocks.append((css[start:brace], css[brace + 1:index]))
                start = index + 1
    if css[start:].strip():
        raise BuildError("the design system's CSS did not end where expected")
    return blocks


def _without_selectors(css: str, unwanted) -> str:
    """The CSS without each selector `unwanted(selector)` is true of; a rule left with no
    selector goes, and so does an @media or @supports block left empty."""
    kept = []
    for prelude, body in _css_blocks(css):
        if prelude.lstrip().startswith(("@media", "@supports")):
            inner = _without_selectors(body, unwanted)
            if inner:
                kept.append(f"{prelude}{{{inner}}}")
        elif prelude.lstrip().startswith("@"):
            kept.append(f"{prelude}{{{body}}}")
        else:
            selectors = [s for s in _split_top_level(prelude, ",") if not unwanted(s)]
            if selectors:
                kept.append(f"{','.join(selectors)}{{{body}}}")
    return "".join(kept)


def without_components(css: str, components: tuple[str, ...]) -> str:
    """The CSS without the selectors of design system components no page uses: a selector
    naming any of their classes (`.nhsuk-tabs`, `.nhsuk-tabs__list`, `.nhsuk-tabs--x`) goes."""
    if not components:
        return css
    names = "|".join(re.escape(name) for name in components)
    theirs = re.compile(rf"\.nhsuk-(?:{names})(?:__[\w-]+|--[\w-]+)?(?![\w-])")
    # Only a class the selector needs counts: `a:not(.nhsuk-action-link)` matches every link
    # when no page has an action link (it is how the emergency box's links are white).
    return _without_selectors(css, lambda selector: theirs.search(_without_negations(selector)))


def _without_negations(selector: str) -> str:
    """The selector with every `:not(...)` taken out (nested brackets and quotes respected)."""
    out, index = [], 0
    while (start := selector.find(":not(", index)) != -1:
        out.append(selector[index:start])
        depth, quote, position = 0, "", start + len(":not")
        while position < len(selector):
            char = selector[position]
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    break
            position += 1
        index = position + 1
    out.append(selector[index:])
    return "".join(out)


UTILITY = re.compile(r"nhsuk-u-[a-z0-9-]+")


def utilities_named(texts) -> tuple[set[str], tuple[str, ...]]:
    """The design system's utility classes (`nhsuk-u-margin-bottom-2`) the texts name, and the
    prefixes of those they build (`"nhsuk-u-width-" ~ width`): every class of such a family
    is kept."""
    named = {token for text in texts for token in UTILITY.findall(text)}
    return {token for token in named if not token.endswith("-")}, tuple(t for t in named if t.endswith("-"))


def utility_sources() -> list[Path]:
    """Everything that can put a utility class on a page: our templates, code and scripts,
    the design system's macros and its own script."""
    import nhsuk_frontend_jinja

    macros = Path(nhsuk_frontend_jinja.__file__).parent / "templates"
    return [*(ROOT / "templates").rglob("*.html"), *(ROOT / "app").rglob("*.py"),
            *[p for p in STATIC.rglob("*.js") if NHSUK_TARGET not in p.parents],
            *macros.rglob("*.jinja"), NHSUK_SOURCE / "nhsuk-frontend.min.js"]


def without_unused_utilities(css: str, used: set[str], families: tuple[str, ...]) -> str:
    """The CSS without the utility classes nothing names (about 1.7 kB of compressed CSS: every
    margin and padding at every size and breakpoint)."""
    def unused(selector: str) -> bool:
        return any(name not in used and not name.startswith(families) for name in UTILITY.findall(selector))

    return _without_selectors(css, unused)


def bundle_nhsuk_script(target: Path) -> None:
    """Only the components our pages use (scripts/nhsuk-frontend-entry.mjs), minified."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not esbuild.is_file():
        raise BuildError(f"{esbuild} is missing: run `npm ci` first")
    subprocess.run([str(esbuild), str(NHSUK_ENTRY), "--bundle", "--minify", "--format=esm",
                    "--log-level=warning", f"--outfile={target}"], check=True)


# ---------------------------------------------------------------- 2. content-hashed names


def source_files(source: Path) -> dict[str, Path]:
    """Every file under static/, by its name relative to it (`js/app.js`); dot files skipped."""
    return {
        path.relative_to(source).as_posix(): path
        for path in sorted(source.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(source).parts)
    }


def sources_digest(source: Path = STATIC) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name, path in source_files(source).items():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def hashed_name(name: str, content: bytes) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        raise BuildError(f"{name}: a static file needs an extension")
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:HASH_LENGTH]}.{extension}"


def _references(name: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, specifier) of each reference to another static file in a CSS or JS file."""
    found = []
    if name.endswith(".css"):
        for match in CSS_URL.finditer(text):
            found.append((match.start(2), match.end(2), match.group(2)))
    elif name.endswith(".js"):
        for match in JS_SPECIFIER.finditer(text):
            found.append((match.start(3), match.end(3), match.group(3)))
    return [(start, end, spec) for start, end, spec in found if spec.startswith(("./", "../", "/static/"))]


def _target(name: str, specifier: str, names: dict[str, Path]) -> str:
    path = specifier.split("?")[0].split("#")[0]
    if path.startswith("/static/"):
        target = path[len("/static/"):]
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
    if target not in names:
        raise BuildError(f"static/{name} refers to {specifier}, which is not a file in static/")
    return target


def _in_dependency_order(texts: dict[str, str], names: dict[str, Path]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise BuildError(f"static files refer to each other in a circle: {' -> '.join(chain + (name,))}")
        state[name] = "visiting"
        for _, _, specifier in _references(name, texts.get(name, "")):
            visit(_target(name, specifier, names), chain + (name,))
        state[name] = "done"
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def build_hashed(source: Path = STATIC, out: Path = BUILT) -> dict:
    names = source_files(source)
    if "nhsuk/nhsuk-frontend.min.css" not in names:
        raise BuildError(f"{source}/nhsuk is missing: run scripts/build_assets.py (or scripts/setup)")
    texts = {name: path.read_text(encoding="utf-8") for name, path in names.items()
             if name.endswith((".css", ".js"))}
    files: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    for name in _in_dependency_order(texts, names):
        if name in texts:
            text = texts[name]
            for start, end, specifier in reversed(_references(name, text)):
                target = files[_target(name, specifier, names)]
                suffix = specifier[len(specifier.split("?")[0].split("#")[0]):]
                if specifier.startswith("/static/"):
                    rewritten = "/static/" + target
                else:
                    rewritten = posixpath.relpath(target, posixpath.dirname(name) or ".")
                    rewritten = rewritten if rewritten.startswith(".") else "./" + rewritten
                text = text[:start] + rewritten + suffix + text[end:]
            content = text.encode("utf-8")
        else:
            content = names[name].read_bytes()
        contents[name] = content
        files[name] = hashed_name(name, content)

    # Written beside the old build, then swapped in: a half-written build is never served.
    staging = out.with_name(out.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    served = staging / "static"
    for name, content in contents.items():
        for written in (name, files[name]):
            (served / written).parent.mkdir(parents=True, exist_ok=True)
            (served / written).write_bytes(content)
    _compress(served)
    manifest = {
        "version": hashlib.sha256("\n".join(sorted(files.values())).encode()).hexdigest()[:HASH_LENGTH],
        "sources_digest": sources_digest(source),
        "files": dict(sorted(files.items())),
        # What the service worker keeps (app/assets.py writes it into the worker's script).
        "precache": sorted(hashed for name, hashed in files.items() if not name.startswith(NOT_PRECACHED)),
    }
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return manifest


def _compress(served: Path) -> None:
    from whitenoise.compress import Compressor

    compressor = Compressor(quiet=True)
    for path in sorted(served.rglob("*")):
        if path.is_file() and compressor.should_compress(path.name):
            compressor.compress(str(path))


def build_if_stale(source: Path = STATIC, out: Path = BUILT) -> bool:
    """Rebuild when static/ (or this script) changed since the last build; True if it did."""
    manifest = out / MANIFEST_NAME
    if manifest.is_file():
        if json.loads(manifest.read_text(encoding="utf-8")).get("sources_digest") == sources_digest(source):
            return False
    build_hashed(source, out)
    return True


def main(argv: list[str]) -> int:
    try:
        if "--hash-only" not in argv:
            copy_nhsuk_frontend()
            print(f"NHS.UK frontend copied to {NHSUK_TARGET.relative_to(ROOT)}")
        manifest = build_hashed()
    except BuildError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{len(manifest['files'])} static files hashed and compressed into {BUILT.relative_to(ROOT)} "
          f"(version {manifest['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
