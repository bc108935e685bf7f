"""The design system's templates, made cheaper to render (app/templating.py), render exactly
what the design system's own templates render."""
from __future__ import annotations

import re

import flask
import pytest
from jinja2 import PackageLoader
from markupsafe import Markup

from app.html_whitespace import without_indentation


class EscapedWithVal:
    """An escaped object carrying its raw text in `.val`: the shape the macro's first branch is for."""

    val = "data-raw"

    def __html__(self):
        return ' data-raw="1"'


@pytest.fixture
def design_system_only(app):
    """The app's environment (filters, tests, globals, policies) loading only the design system's
    own templates: its `nhsukAttributes` is the original macro."""
    return app.jinja_env.overlay(loader=PackageLoader("nhsuk_frontend_jinja"), cache_size=0)


ATTRIBUTES = [
    None,
    {},
    "data-x=1",
    Markup('data-safe="1"'),
    EscapedWithVal(),
    {"class": "nhsuk-header", "data-module": "nhsuk-header", "role": "banner"},
    {"id": {"value": None, "optional": True}, "class": "c"},
    {"id": {"value": "main", "optional": True}},
    {"hidden": {"value": True, "optional": True}},
    {"hidden": {"value": False, "optional": True}},
    {"hidden": {"value": "", "optional": True}},
    {"aria-hidden": True, "aria-expanded": False},
    {"empty": None, "also-empty": {"value": None}},
    {"title": 'say "hello" & <bye>', "n": 3, "f": 1.5},
    {"data-safe": Markup('a "quoted" value')},
    {"data-safe": {"value": Markup("plain"), "optional": True}},
    {"data-list": {"value": ["a", "<b>", "it's"], "type": "array"}},
    {"data-list": {"value": 5, "type": "array"}},
    {"flag": {"value": True, "optional": True}, "data-list": {"value": [1], "type": "array", "optional": True}},
    {"<odd name>": "x"},
    {"data-object": {"value": {"b": 1, "a": 2}, "type": "array"}},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES, ids=repr)
def test_the_attributes_function_returns_what_the_design_systems_macro_returns(app, design_system_only, attributes):
    source = '{% from "nhsuk/macros/attributes.jinja" import nhsukAttributes %}[{{ nhsukAttributes(attributes) }}]'
    ours = app.jinja_env.from_string(source).render(attributes=attributes)
    theirs = design_system_only.from_string(source).render(attributes=attributes)
    assert ours == theirs


def test_the_attributes_function_with_nothing_given_returns_what_the_macro_returns(app, design_system_only):
    source = ('{% from "nhsuk/macros/attributes.jinja" import nhsukAttributes %}'
              "[{{ nhsukAttributes() }}][{{ nhsukAttributes(missing.attributes) }}]")
    assert app.jinja_env.from_string(source).render() == design_system_only.from_string(source).render()


def test_components_import_the_function(app):
    module = app.jinja_env.get_template("nhsuk/macros/attributes.jinja").module
    assert module.nhsukAttributes is app.jinja_env.globals["nhsuk_attributes"]


# The components rendered in Python (app/components) print the same bytes after the whitespace pass,
# not before: tests/test_components*.py compare those through tests/component_harness.py.
COMPONENTS = [
    ("header", {"service": {"text": "Manage your cancer care", "href": "/"},
                "account": {"items": [{"text": "Sam Taylor", "icon": True}, {"href": "/account", "text": "Your account"},
                                      {"html": Markup("<form><button>Sign out</button></form>")}]},
                "navigation": {"items": [{"href": "/nurse/queue", "text": "Queue", "current": True},
                                         {"href": "/nurse/patients", "text": "Patients"}]}}),
    ("card", {"heading": "Your plan", "href": "/plan", "description": "What you agreed", "clickable": True}),
    ("button", {"text": "Save", "attributes": {"data-module": "x", "disabled": {"value": True, "optional": True}}}),
    ("footer", {"meta": {"items": [{"href": "/", "text": "Home"}]}, "copyright": {"text": "© NHS England"}}),
]


@pytest.mark.parametrize(("component", "params"), COMPONENTS, ids=[name for name, _ in COMPONENTS])
def test_components_render_the_design_systems_markup(app, design_system_only, component, params):
    source = f'{{% from "nhsuk/components/{component}/macro.jinja" import {component} %}}{{{{ {component}(params) }}}}'
    with app.test_request_context():
        ours = app.jinja_env.from_string(source).render(params=params)
        theirs = design_system_only.from_string(source).render(params=params)
    # A component written in Python (app/components) prints the same page, after the whitespace pass.
    assert without_indentation(ours) == without_indentation(theirs)


# ---------------------------------------------------------------- components rendered once for everyone


def _header_params(personal, name, sign_out, unread_html):
    return {
        "service": {"text": "Manage your cancer care", "href": "/"},
        "account": {"items": [
            {"html": personal(name), "icon": True, "classes": "app-header__account-item--name"},
            {"href": "/account", "text": "Your account"},
            {"html": personal(sign_out), "classes": "app-header__account-item--fixed"},
        ], "classes": "app-header__account--one-row"},
        "navigation": {"items": [
            {"href": "/my-care", "text": "Home", "current": True},
            {"href": "/my-care/messages", "text": "Messages", "html": personal(unread_html)},
        ]},
    }


PEOPLE = [
    (Markup('<span class="app-header__account-name">Ann Lee</span>'),
     Markup('<form action="/sign-out" method="post">\n  <input type="hidden" name="csrf_token" value="token-a">\n\n'
            '  <button class="nhsuk-header__account-button">Sign out</button>\n</form>'),
     Markup("Messages")),
    (Markup('  <span class="app-header__account-name">Bo &lt;O&#39;Neil&gt; &amp; Co</span>\n'),
     Markup('<form>\n<input name="csrf_token" value="token-b">\n</form>'),
     Markup('Messages (2<span class="nhsuk-u-visually-hidden"> unread</span>)')),
    ("Cy <b>Plain</b> & text", Markup("one line"), Markup("Messages (1)\u2028with another line")),
]


@pytest.mark.parametrize("person", PEOPLE, ids=["multi-line", "trimmed", "escaped text"])
def test_the_memoised_header_renders_what_the_header_renders(app, person):
    from app.templating import personal

    memoised_component = app.jinja_env.globals["memoised_component"]
    header = app.jinja_env.get_template("nhsuk/components/header/macro.jinja").module.header
    with app.test_request_context():
        for _ in range(2):  # the second time from the memo
            # The memo keeps the header with the indentation the page's pass takes out taken out.
            memoised = memoised_component("header", _header_params(personal, *person))
            assert without_indentation(memoised) == without_indentation(header(_header_params(lambda value: value, *person)))
            assert len(memoised) < len(header(_header_params(lambda value: value, *person))) * 0.7
    assert memoised_component.cache_info().hits >= 1


@pytest.fixture
def empty_memo(app):
    """The app's memo with nothing in it: tests reuse one app (tests/conftest.py), so earlier
    tests' pages have filled it."""
    memoised_component = app.jinja_env.globals["memoised_component"]
    memoised_component.cache_clear()
    return memoised_component


def test_the_memo_keys_on_the_shape_never_the_person(app, empty_memo):
    from app.templating import personal

    memoised_component = empty_memo
    with app.test_request_context():
        for person in PEOPLE:
            memoised_component("header", _header_params(personal, *person))
    info = memoised_component.cache_info()
    # The first two people's values are markup, the third's name is text (escaped): two shapes.
    assert (info.misses, info.hits) == (2, 1)


def test_an_empty_personal_value_is_rendered_directly(app, empty_memo):
    from app.templating import personal

    memoised_component = empty_memo
    header = app.jinja_env.get_template("nhsuk/components/header/macro.jinja").module.header
    params = _header_params(personal, Markup(""), Markup("<form></form>"), Markup("Messages"))
    with app.test_request_context():
        assert memoised_component("header", params) == header(_header_params(lambda value: value, Markup(""),
                                                                             Markup("<form></form>"), Markup("Messages")))
    assert memoised_component.cache_info().currsize == 0


def test_two_people_get_their_own_header_bits(app, actors):
    from app.extensions import db
    from app.idempotency import new_form_token
    from app.messages import service as messages
    from app.models import PatientProfile, User
    from app.triage.queue import ItemKind
    from app.triage.service import raise_item
    from tests.helpers import sign_in_as

    memoised_component = app.jinja_env.globals["memoised_component"]
    with app.app_context():
        names = {who: db.session.get(User, getattr(actors, who)).display_name for who in ("patient_a", "patient_a2")}
        # The second person has a message from the team they have not read; the first has none.
        nurse = db.session.get(User, actors.nurse_a)
        item = raise_item(db.session.get(PatientProfile, actors.profile_a2), ItemKind.HNA_NEW, "Needs assessment: sent", "hna:memo")
        messages.send(messages.start_thread(item, nurse), nurse, new_form_token(), "Your results are back")
        db.session.commit()
    pages, misses = {}, {}
    for who in ("patient_a", "patient_a2"):
        client = app.test_client()
        sign_in_as(client, getattr(actors, who))
        page = client.get("/my-care").get_data(as_text=True)
        header = page[page.index("<header"):page.index("</header>")]
        pages[who] = (header, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1))
        misses[who] = memoised_component.cache_info().misses
    (header_a, token_a), (header_a2, token_a2) = pages["patient_a"], pages["patient_a2"]
    # The second person's header, footer and notice came from what the first one's page left in
    # the memo: its keys hold nothing that tells the two apart.
    assert misses["patient_a"] > 0 and misses["patient_a2"] == misses["patient_a"]
    assert names["patient_a"] in header_a and names["patient_a2"] not in header_a
    assert names["patient_a2"] in header_a2 and names["patient_a"] not in header_a2
    assert token_a in header_a and token_a2 not in header_a
    assert token_a2 in header_a2 and token_a not in header_a2
    assert "Messages (1" in header_a2 and "unread" not in header_a


def test_templates_links_with_no_values_are_built_once_for_each_site_root(app, monkeypatch):
    import flask

    import app.templating as templating

    monkeypatch.setitem(app.jinja_env.globals, "url_for", templating.make_template_url_for())
    template = app.jinja_env.from_string("{{ url_for('main.index') }} {{ url_for('auth.sign_in', timeout=1) }}")
    builds = []
    monkeypatch.setattr(templating, "url_for", lambda endpoint, **values: builds.append(endpoint) or flask.url_for(endpoint, **values))
    for _ in range(2):
        with app.test_request_context("/"):
            assert template.render() == "/ /sign-in?timeout=1"
        with app.test_request_context("/", base_url="http://localhost/care"):
            assert template.render() == "/care/ /care/sign-in?timeout=1"
    assert builds.count("main.index") == 2  # once for each root
    assert builds.count("auth.sign_in") == 4  # a link with values: every time


# ---------------------------------------------------------------- the layout, rendered once for each shape


def _layout_page(personal, **shape):
    """The values layout_page gives the layout (app/templating.py), for a shape of page."""
    page = {"post": False, "form_errors": False, "title": personal(Markup("Your care")), "public_page": False,
            "signed_in": True, "nonce": personal("n0nce-_x"), "script_root": "", "csrf_token": personal("t0ken.a-b"),
            "head": "", "patient": True, "session_idle_seconds": 600, "session_warning_seconds": 540,
            "session_seconds_left": personal(599), "outbox_owner": personal("0wner"),
            "display_name": personal("Bo <O'Neil> & Co"), "messages_html": personal(Markup("Messages")),
            "staff": False, "nav_current": ("main.patient_home",), "before_content": "",
            "flashed_messages": Markup("\n        \n      "),
            "content": personal(Markup("\n  <h1\n    class='a'>Hello</h1>\n  <textarea>\n  typed\n</textarea>\n")),
            "demo_mode": False}
    page.update(shape)
    return page


# What layout_page leaves out for a page with nobody signed in.
SIGNED_OUT = dict.fromkeys(("session_idle_seconds", "session_warning_seconds", "session_seconds_left", "outbox_owner",
                            "display_name", "messages_html", "staff", "nav_current"))
# name: (the shape's values, whether the page comes from the memo)
LAYOUT_SHAPES = {
    "patient": ({}, True),
    "a post with errors": ({"post": True, "form_errors": True,
                            "error_summary": lambda personal: personal(Markup("<div class='e'>\n  <p>Wrong</p>\n</div>"))}, True),
    "flashed messages and a head": (
        {"flashed_messages": lambda personal: personal(Markup("\n        \n  <div>Saved</div>\n      ")),
         "head": lambda personal: personal(Markup('<script src="/x.js" nonce="n">\n</script>'))}, True),
    "nurse": ({"patient": False, "staff": True, "admin": False, "nav_current": ("nurse.queue",), "outbox_owner": None,
               "messages_html": lambda personal: personal(Markup('Messages (3<span class="nhsuk-u-visually-hidden"> unread</span>)'))},
              True),
    "admin": ({"patient": False, "staff": True, "admin": True, "nav_current": (), "outbox_owner": None}, True),
    "signed out": ({"signed_in": False, "patient": False, "demo_mode": True, **SIGNED_OUT}, True),
    "public page": ({"public_page": True, "signed_in": False, "patient": False, "csrf_token": None, **SIGNED_OUT}, True),
    # A value that leaves a textarea open would change what the page's pass keeps: rendered directly.
    "an unclosed textarea": ({"content": lambda personal: personal(Markup("<textarea>\n  <p>"))}, False),
}


@pytest.mark.parametrize(("shape", "memoised"), LAYOUT_SHAPES.values(), ids=LAYOUT_SHAPES.keys())
def test_the_memoised_layout_is_the_layout_passed(app, shape, memoised):
    from app.templating import LAYOUT, LAYOUT_TEMPLATE, personal

    def page_of(mark):
        values = {key: value(mark) if callable(value) else value for key, value in shape.items()}
        return {key: value for key, value in _layout_page(mark, **values).items() if value is not None}

    memoised_component = app.jinja_env.globals["memoised_component"]
    layout = app.jinja_env.get_template(LAYOUT_TEMPLATE).module.layout
    with app.test_request_context():
        for _ in range(2):  # the second time from the memo
            made = str(memoised_component(LAYOUT, page_of(personal)))
            # What the page's pass sends: it leaves a page made from the memo as it is, already passed.
            from_the_memo = flask.g.pop("page_passed", None) == made
            sent = made if from_the_memo else without_indentation(made)
            assert sent == without_indentation(str(layout(page_of(lambda value: value))))
            assert from_the_memo == memoised


@pytest.mark.parametrize("forged", [
    "Ann \u2003\x000&\n\x00\u2003 Lee",  # the placeholder of slot 0, whole, in text
    Markup("<b>\x000&\n\x00</b>"),         # untrimmed, in markup
    "nul \x00 alone",
], ids=["text", "markup", "a lone nul"])
def test_an_argument_holding_a_placeholders_character_is_rendered_directly(app, empty_memo, forged):
    """A value that is not marked personal but holds what placeholders are made of would be
    taken for one, and the person's own value (their CSRF token) put in its place."""
    from app.templating import personal

    memoised_component = empty_memo
    header = app.jinja_env.get_template("nhsuk/components/header/macro.jinja").module.header
    params = _header_params(personal, Markup("secret-token"), Markup("<form></form>"), Markup("Messages"))
    params["service"]["text"] = forged
    with app.test_request_context():
        made = str(memoised_component("header", params))
    direct = header(_header_params(lambda value: value, Markup("secret-token"), Markup("<form></form>"), Markup("Messages"))
                    | {"service": {"text": forged, "href": "/"}})
    assert without_indentation(made) == without_indentation(direct)
    assert made.count("secret-token") == 1
    assert memoised_component.cache_info().currsize == 0
