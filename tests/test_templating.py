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
        # Not home: its own shapes come from the memo too (app/main/home_page.py), and the unread
        # message adds a thing to do there, a shape of its own.
        page = client.get("/my-care/contacts").get_data(as_text=True)
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


def test_two_peoples_pages_each_carry_only_their_own_values(app, actors):
    """Through the real layout_page: the second person's page is made from the memo entry the
    first one's left, and carries only the second person's token, nonce, name, outbox owner,
    seconds left and Messages count."""
    import hashlib
    from datetime import timedelta

    from sqlalchemy import update

    from app.extensions import db
    from app.idempotency import new_form_token
    from app.messages import service as messages
    from app.models import PatientProfile, User, UserSession
    from app.sessions import TOUCH_EVERY
    from app.timeutil import utcnow
    from app.triage.queue import ItemKind
    from app.triage.service import raise_item
    from tests.helpers import sign_in_as

    memoised_component = app.jinja_env.globals["memoised_component"]
    with app.app_context():
        users = {who: db.session.get(User, getattr(actors, who)) for who in ("patient_a", "patient_a2")}
        names = {who: user.display_name for who, user in users.items()}
        owners = {who: hashlib.sha256(b"outbox-owner:" + user.webauthn_user_handle).hexdigest()[:32]
                  for who, user in users.items()}
        nurse = db.session.get(User, actors.nurse_a)
        item = raise_item(db.session.get(PatientProfile, actors.profile_a2), ItemKind.HNA_NEW, "Needs assessment: sent", "hna:layout")
        messages.send(messages.start_thread(item, nurse), nurse, new_form_token(), "Your results are back")
        db.session.commit()
    idle = app.config["SESSION_IDLE_SECONDS"]
    # The first person last seen within the interval at which a session is touched: not refreshed.
    seen_ago = {"patient_a": int(min(TOUCH_EVERY.total_seconds(), idle / 10) / 2), "patient_a2": 0}
    shown, misses = {}, {}
    for who in ("patient_a", "patient_a2"):
        client = app.test_client()
        sign_in_as(client, getattr(actors, who))
        with app.app_context():
            db.session.execute(update(UserSession).where(UserSession.user_id == getattr(actors, who))
                               .values(last_seen_at=utcnow() - timedelta(seconds=seen_ago[who])))
            db.session.commit()
        response = client.get("/my-care")
        page = response.get_data(as_text=True)
        shown[who] = {
            "page": page,
            "token": re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1),
            "nonce": re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1),
            "owner": re.search(r'data-outbox-owner="([^"]*)"', page).group(1),
            "left": int(re.search(r'data-session-left="(\d+)"', page).group(1)),
        }
        misses[who] = memoised_component.cache_info().misses
    # The second page's layout (and header, footer, and home's cards) came from what the first one
    # left in the memo; only home's list of things to do is a shape of its own, with the unread
    # reply in it (app/main/home_page.py).
    assert misses["patient_a"] > 0 and misses["patient_a2"] == misses["patient_a"] + 1
    for who, other in (("patient_a", "patient_a2"), ("patient_a2", "patient_a")):
        mine, theirs = shown[who], shown[other]
        page = mine["page"]
        assert mine["token"] != theirs["token"] and mine["nonce"] != theirs["nonce"]
        assert page.count(mine["token"]) == 2 and theirs["token"] not in page  # the meta tag and sign-out form
        assert page.count(f'nonce="{mine["nonce"]}"') >= 2 and theirs["nonce"] not in page
        assert names[who] in page and names[other] not in page
        assert mine["owner"] == owners[who] and owners[other] not in page
        assert idle - seen_ago[who] - 5 <= mine["left"] <= idle - seen_ago[who]
    assert "Messages (1" in shown["patient_a2"]["page"] and "Messages (" not in shown["patient_a"]["page"]


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


# Two people's own values on the same shape of page: the second's page comes from the memo entry
# the first one's left, so a value kept from one to the next shows.
LAYOUT_PEOPLE = [
    {"title": Markup("Your care"), "nonce": "n0nce-_x", "csrf_token": "t0ken.a-b", "session_seconds_left": 599,
     "outbox_owner": "0wner", "display_name": "Bo <O'Neil> & Co", "messages_html": Markup("Messages"),
     "content": Markup("\n  <h1\n    class='a'>Hello</h1>\n  <textarea>\n  typed\n</textarea>\n")},
    {"title": Markup("Your plan"), "nonce": "Zz9-other", "csrf_token": "other.t0ken", "session_seconds_left": 42,
     "outbox_owner": "s3cond", "display_name": "Cy Plain", "messages_html": Markup("Messages (3)"),
     "content": Markup("\n<p>Someone else's\n  page</p>\n")},
]


def _layout_page(personal, person=0, **shape):
    """The values layout_page gives the layout (app/templating.py), for a shape of page and a person."""
    page = {"post": False, "form_errors": False, "public_page": False, "signed_in": True, "script_root": "",
            "head": "", "patient": True, "session_idle_seconds": 600, "session_warning_seconds": 540,
            "staff": False, "nav_current": ("main.patient_home",), "before_content": "",
            "flashed_messages": Markup("\n        \n      "), "demo_mode": False}
    page.update({key: personal(value) for key, value in LAYOUT_PEOPLE[person].items()})
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
def test_the_memoised_layout_is_the_layout_passed(app, empty_memo, shape, memoised):
    from app.templating import LAYOUT, LAYOUT_TEMPLATE, personal

    def page_of(mark, person):
        values = {key: value(mark) if callable(value) else value for key, value in shape.items()}
        return {key: value for key, value in _layout_page(mark, person, **values).items() if value is not None}

    memoised_component = empty_memo
    layout = app.jinja_env.get_template(LAYOUT_TEMPLATE).module.layout
    misses = []
    with app.test_request_context():
        for person in range(len(LAYOUT_PEOPLE)):  # the second person's from the memo
            made = str(memoised_component(LAYOUT, page_of(personal, person)))
            # What the page's pass sends: it leaves a page made from the memo as it is, already passed.
            from_the_memo = flask.g.pop("page_passed", None) == made
            sent = made if from_the_memo else without_indentation(made)
            assert sent == without_indentation(str(layout(page_of(lambda value: value, person))))
            assert from_the_memo == memoised
            misses.append(memoised_component.cache_info().misses)
    assert misses[0] > 0 and misses[1] == misses[0]  # the second person's layout: from the first one's entry


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


@pytest.mark.parametrize("text", ["", "plain", "Bo <O'Neil> & \"Co\"", "&amp; already", "\u2003\x00 < >", "é ' \""])
def test_the_memos_escape_of_a_string_is_markupsafes(text):
    from markupsafe import escape

    from app.templating import HTML_ESCAPES

    assert text.translate(HTML_ESCAPES) == str(escape(text))


@pytest.mark.parametrize("flashed, read_before", [
    ([], False),
    ([("info", "Sign in to continue")], False),
    ([("success", "Saved"), ("info", "Two <b>things</b>")], False),
    ([], True),
    ([("success", "Saved")], True),
])
def test_the_layouts_flashed_messages_are_flasks_and_leave_the_request_as_flask_does(app, flashed, read_before):
    # templating._messages_flashed answers without Flask's get_flashed_messages when nothing was
    # flashed: the same messages, and the request's context and session left as Flask leaves them.
    from flask import flash, get_flashed_messages, session
    from flask.globals import request_ctx

    from app.templating import _messages_flashed

    def state_after(read):
        with app.test_request_context("/my-care"):
            for category, message in flashed:
                flash(message, category)
            if read_before:
                get_flashed_messages(with_categories=True)
            answer = read()
            return list(answer), request_ctx.flashes, dict(session)

    assert state_after(_messages_flashed) == state_after(lambda: get_flashed_messages(with_categories=True))


@pytest.mark.parametrize("path", ["/my-care", "/my-care/follow-up", "/my-care/plan"])
def test_a_kept_page_shape_links_each_root_path_to_its_own(patient, path):
    # The patient pages' kept shapes (memoised_component) hold links made by url_for: the root
    # path is in each shape's key, so one process served under a path prefix and at the root
    # links each request to its own (the home page's fails with the root path out of its keys).
    # Static files are served at /static/ whatever the root (app/assets.py), so are not counted.
    under_prefix = patient.get(path, base_url="http://localhost/prefix")
    at_root = patient.get(path)
    again_under_prefix = patient.get(path, base_url="http://localhost/prefix")
    assert under_prefix.status_code == at_root.status_code == again_under_prefix.status_code == 200

    def app_links(response) -> list[str]:
        return [href for href in re.findall(r'href="(/[^"]*)"', response.get_data(as_text=True))
                if not href.startswith("/static/")]

    assert app_links(at_root) and not [href for href in app_links(at_root) if href.startswith("/prefix")]
    for response in (under_prefix, again_under_prefix):
        assert app_links(response) and all(href.startswith("/prefix/") for href in app_links(response))
    assert len(app_links(under_prefix)) == len(app_links(at_root))
