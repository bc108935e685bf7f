"""Static files: content-hashed names from the build, compressed, cached immutable; every asset
a template or page refers to exists."""
from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import brotli
import pytest

from app.assets import Assets, AssetsNotBuilt, MissingAsset, asset_url
from tests.helpers import sign_in_as
from tests.test_security_headers import MAIN_PAGES, open_page

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_assets", ROOT / "scripts" / "build_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_assets = load_build_script()


def hashed(app, name: str) -> str:
    with app.test_request_context():
        return asset_url(name)


# ---------------------------------------------------------------- serving


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("gzip, deflate, br, zstd", "br", brotli.decompress),  # what Chromium sends
    ("br", "br", brotli.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("", None, lambda body: body),
])
@pytest.mark.parametrize("name", ["nhsuk/nhsuk-frontend.min.css", "js/app.js"])
def test_a_hashed_asset_is_immutable_for_a_year_and_compressed_as_the_browser_asks(app, client, name, accept, encoding, decode):
    url = hashed(app, name)
    assert re.fullmatch(r"/static/.+\.[0-9a-f]{12}\.(css|js)", url)
    response = client.get(url, headers={"Accept-Encoding": accept})
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert response.headers.get("Content-Encoding") == encoding
    assert response.headers["Vary"] == "Accept-Encoding"
    assert decode(body) == (ROOT / "built" / url.removeprefix("/")).read_bytes()


def test_an_unhashed_name_is_served_but_checked_with_the_server_each_time(client):
    response = client.get("/static/js/app.js", headers={"Accept-Encoding": "br"})
    response.close()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "immutable" not in response.headers["Cache-Control"]


def test_static_files_carry_the_security_headers_and_a_policy_allowing_only_this_site(app, client):
    response = client.get(hashed(app, "nhsuk/assets/images/favicon.svg"))
    response.close()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_asset_url_refuses_a_name_the_build_does_not_have(app):
    with app.test_request_context(), pytest.raises(MissingAsset, match="static/js/no-such.js"):
        asset_url("js/no-such.js")


def test_the_app_refuses_to_start_without_an_asset_build(tmp_path):
    with pytest.raises(AssetsNotBuilt, match="build_assets.py"):
        Assets(tmp_path)


# ---------------------------------------------------------------- every reference resolves


def test_templates_name_assets_only_through_asset_url_with_a_file_that_exists(app):
    """One way to link a static file. A name built at run time could not be checked here."""
    manifest = app.extensions["assets"].files
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        source = template.read_text(encoding="utf-8")
        where = template.relative_to(ROOT)
        if re.search(r"url_for\(\s*['\"]static['\"]|[\"']/static/", source):
            problems.append(f"{where}: links a static file without asset_url")
        for call in re.findall(r"asset_url\(([^)]*)\)", source):
            name = re.fullmatch(r"'([^']+)'", call.strip())
            if not name:
                problems.append(f"{where}: asset_url({call}) is not a plain name")
            elif name.group(1) not in manifest:
                problems.append(f"{where}: {name.group(1)} is not in static/")
    assert problems == []


def referenced_assets(client, url: str, seen: set[str]) -> None:
    """Fetch `url` and, for CSS and JS, everything it refers to; every one must answer 200."""
    if url in seen:
        return
    seen.add(url)
    response = client.get(url)
    text = response.get_data(as_text=True) if url.endswith((".css", ".js")) else ""
    response.close()
    assert response.status_code == 200, url
    base = url.rsplit("/", 1)[0]
    for match in build_assets.CSS_URL.finditer(text) if url.endswith(".css") else ():
        if not match.group(2).startswith("data:"):
            referenced_assets(client, resolve(base, match.group(2)), seen)
    for match in build_assets.JS_SPECIFIER.finditer(text) if url.endswith(".js") else ():
        referenced_assets(client, resolve(base, match.group(3)), seen)


def resolve(base: str, reference: str) -> str:
    from posixpath import join, normpath

    return reference if reference.startswith("/") else normpath(join(base, reference))


@pytest.mark.parametrize(("who", "path"), MAIN_PAGES)
def test_every_asset_a_page_loads_is_hashed_and_answers(app, actors, who, path):
    page = open_page(app, actors, who, path).get_data(as_text=True)
    links = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert links, "the page loads the design system"
    seen: set[str] = set()
    client = app.test_client()
    if who:
        sign_in_as(client, getattr(actors, who))
    for link in links:
        referenced_assets(client, link, seen)
    assert [url for url in seen if not re.search(r"\.[0-9a-f]{12}\.[a-z]+$", url)] == []


# ---------------------------------------------------------------- the build


def build(tmp_path, files: dict[str, str]) -> dict:
    source = tmp_path / "static"
    for name, text in {"nhsuk/nhsuk-frontend.min.css": "body{}", **files}.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    return build_assets.build_hashed(source, tmp_path / "built")


def built_text(tmp_path, manifest: dict, name: str) -> str:
    return (tmp_path / "built" / "static" / manifest["files"][name]).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("js/app.js", "import { a } from './a.js'", "import { a } from './a.{a}.js'"),
    ("js/app.js", 'import "./a.js"', 'import "./a.{a}.js"'),
    ("js/app.js", "export { a } from './a.js'", "export { a } from './a.{a}.js'"),
    ("js/app.js", "const m = await import('./a.js')", "const m = await import('./a.{a}.js')"),
    ("js/app.js", "import x from '/static/js/a.js'", "import x from '/static/js/a.{a}.js'"),
    ("js/deep/b.js", "import x from '../a.js'", "import x from '../a.{a}.js'"),
    ("js/app.js", "// a comment, not an import: 'from somewhere'", "// a comment, not an import: 'from somewhere'"),
    ("css/app.css", "a{background:url(/static/img/i.svg)}", "a{background:url(/static/img/i.{i}.svg)}"),
    ("css/app.css", "a{background:url('../img/i.svg?x=1#y')}", "a{background:url('../img/i.{i}.svg?x=1#y')}"),
    ("css/app.css", 'a{background:url("data:image/svg+xml,x")}', 'a{background:url("data:image/svg+xml,x")}'),
])
def test_the_build_points_references_at_hashed_names(tmp_path, name, source, expected):
    manifest = build(tmp_path, {"js/a.js": "export const a = 1", "img/i.svg": "<svg/>", name: source})
    hashes = {key: manifest["files"][path].split(".")[-2] for key, path in (("a", "js/a.js"), ("i", "img/i.svg"))}
    assert built_text(tmp_path, manifest, name) == expected.replace("{a}", hashes["a"]).replace("{i}", hashes["i"])


def test_a_changed_dependency_gives_its_importer_a_new_name(tmp_path):
    first = build(tmp_path, {"js/a.js": "export const a = 1", "js/app.js": "import { a } from './a.js'"})
    second = build(tmp_path, {"js/a.js": "export const a = 2", "js/app.js": "import { a } from './a.js'"})
    assert first["files"]["js/app.js"] != second["files"]["js/app.js"]
    assert first["version"] != second["version"]


@pytest.mark.parametrize(("files", "message"), [
    ({"js/app.js": "import { a } from './missing.js'"}, "refers to ./missing.js"),
    ({"css/app.css": "a{background:url(/static/img/gone.svg)}"}, "refers to /static/img/gone.svg"),
    ({"js/a.js": "import './b.js'", "js/b.js": "import './a.js'"}, "in a circle"),
])
def test_the_build_refuses_what_would_break_a_page(tmp_path, files, message):
    with pytest.raises(build_assets.BuildError, match=message):
        build(tmp_path, files)


def test_the_build_writes_brotli_and_gzip_beside_each_compressible_file(tmp_path):
    manifest = build(tmp_path, {"js/a.js": "export const a = '" + "x" * 500 + "'"})
    served = tmp_path / "built" / "static" / manifest["files"]["js/a.js"]
    assert brotli.decompress(Path(f"{served}.br").read_bytes()) == served.read_bytes()
    assert gzip.decompress(Path(f"{served}.gz").read_bytes()) == served.read_bytes()


def test_the_test_suite_rebuilds_only_when_static_changed(tmp_path):
    build(tmp_path, {"js/a.js": "export const a = 1"})
    assert build_assets.build_if_stale(tmp_path / "static", tmp_path / "built") is False
    (tmp_path / "static" / "js" / "a.js").write_text("export const a = 2", encoding="utf-8")
    assert build_assets.build_if_stale(tmp_path / "static", tmp_path / "built") is True


def test_no_page_uses_a_design_system_component_whose_css_the_build_leaves_out():
    components = build_assets.UNUSED_NHSUK_COMPONENTS
    names = "|".join(re.escape(name) for name in components)
    used = re.compile(rf"nhsuk-(?:{names})(?:__[\w-]+|--[\w-]+)?(?![\w-])|nhsuk/components/(?:{names}|images)/")
    sources = [*TEMPLATES.rglob("*.html"), *(ROOT / "app").rglob("*.py"),
               *[path for path in (ROOT / "static").rglob("*.js") if "nhsuk" not in path.parts]]
    found = {f"{path.relative_to(ROOT)}: {match.group(0)}" for path in sources
             for match in used.finditer(path.read_text(encoding="utf-8"))}
    assert found == set(), "take these off UNUSED_NHSUK_COMPONENTS in scripts/build_assets.py"


@pytest.mark.parametrize(("css", "expected"), [
    (".nhsuk-tabs{a:b}.nhsuk-button{c:d}", ".nhsuk-button{c:d}"),
    (".nhsuk-tabs__list,.nhsuk-button{c:d}", ".nhsuk-button{c:d}"),
    (".nhsuk-tabs--x .nhsuk-button{c:d}.nhsuk-tabsx{e:f}", ".nhsuk-tabsx{e:f}"),
    ("@media (min-width:1px){.nhsuk-tabs{a:b}}.x{y:z}", ".x{y:z}"),
    ("@media print{.nhsuk-tabs{a:b}.x{y:z}}", "@media print{.x{y:z}}"),
    # `:not(.nhsuk-tabs)` matches every element (no page has the class): the rule still applies.
    (".a:not(.nhsuk-tabs,.b),.c{d:e}", ".a:not(.nhsuk-tabs,.b),.c{d:e}"),
    (".card a:not(.nhsuk-tabs):not(.b){d:e}", ".card a:not(.nhsuk-tabs):not(.b){d:e}"),
    (".a:not(.b) .nhsuk-tabs__list,.c{d:e}", ".c{d:e}"),
    (".a:not(:is(.b,.nhsuk-tabs)) .nhsuk-tabs{d:e}", ""),
    ('.a:after{content:"{,}"}', '.a:after{content:"{,}"}'),
    ("@font-feature-values x{@swash{a:1}}", "@font-feature-values x{@swash{a:1}}"),
])
def test_the_build_leaves_out_only_the_unused_components_rules(css, expected):
    assert build_assets.without_components(css, ("tabs",)) == expected


@pytest.mark.hazard("HAZ-016")
def test_the_emergency_boxs_links_keep_their_white_on_black_colours():
    """The 999 and 24-hour links in an emergency care card are white on near-black only through
    rules written `a:not(.nhsuk-action-link):not(.nhsuk-button)`: leaving out the unused action
    link component must not take them too (they were blue on black, contrast 2.26:1)."""
    served = (ROOT / "static" / "nhsuk" / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    assert ".nhsuk-card--care--emergency .nhsuk-card__content a:not(.nhsuk-action-link):not(.nhsuk-button){color:#fff" in served


def test_every_utility_class_a_page_can_name_is_in_the_design_systems_css():
    """The build leaves out the utility classes nothing names: one a template starts using is
    kept by the next `scripts/build_assets.py` (scripts/setup runs it)."""
    served = (ROOT / "static" / "nhsuk" / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    design_system = (build_assets.NHSUK_SOURCE / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    used, families = build_assets.utilities_named(
        path.read_text(encoding="utf-8") for path in build_assets.utility_sources())
    assert "nhsuk-u-visually-hidden" in used and "nhsuk-u-width-" in families
    wanted = {name for name in build_assets.UTILITY.findall(design_system)
              if name in used or name.startswith(families)}
    missing = {name for name in wanted if not re.search(rf"\.{re.escape(name)}(?![\w-])", served)}
    assert missing == set(), "run scripts/build_assets.py: static/nhsuk is older than the templates"


@pytest.mark.parametrize(("css", "expected"), [
    (".nhsuk-u-margin-top-3{a:b}.nhsuk-u-margin-bottom-2{c:d}", ".nhsuk-u-margin-bottom-2{c:d}"),
    (".nhsuk-u-width-one-half{a:b}", ".nhsuk-u-width-one-half{a:b}"),  # a family built in a template
    ("@media print{.nhsuk-u-padding-3{a:b}}.x{y:z}", ".x{y:z}"),
    ("table .nhsuk-u-padding-3,.x{a:b}", ".x{a:b}"),
])
def test_the_build_leaves_out_only_utilities_nothing_names(css, expected):
    used, families = build_assets.utilities_named(['class="nhsuk-u-margin-bottom-2"', '"nhsuk-u-width-" ~ width'])
    assert build_assets.without_unused_utilities(css, used, families) == expected


def test_the_design_systems_script_starts_only_the_components_pages_can_hold():
    script = (ROOT / "static" / "nhsuk" / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    assert script.rstrip().endswith("as initAll};")
    for used in ("nhsuk-header", "nhsuk-error-summary", "nhsuk-character-count", "nhsuk-radios"):
        assert f'"{used}"' in script
    for left_out in ("nhsuk-tabs", "nhsuk-file-upload", "nhsuk-password-input", "nhsuk-code"):
        assert left_out.removeprefix("nhsuk-") in build_assets.UNUSED_NHSUK_COMPONENTS
        assert f'"{left_out}"' not in script
