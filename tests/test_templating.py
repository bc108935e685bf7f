"""The design system's templates, made cheaper to render (app/templating.py), render exactly
what the design system's own templates render."""
from __future__ import annotations

import pytest
from jinja2 import PackageLoader
from markupsafe import Markup


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


COMPONENTS = [
    ("header", {"service": {"text": "Manage your cancer care", "href": "/"},
                "account": {"items": [{"text": "Sam Taylor", "icon": True}, {"href": "/account", "text": "Your account"},
                                      {"html": Markup("<form><button>Sign out</button></form>")}]},
                "navigation": {"items": [{"href": "/nurse/queue", "text": "Queue", "current": True},
                                         {"href": "/nurse/patients", "text": "Patients"}]}}),
    ("textarea", {"name": "note", "id": "note", "label": {"text": "Note"}, "hint": {"text": "A hint"},
                  "value": "typed\n\n   text", "errorMessage": {"text": "Too long"}}),
    ("input", {"name": "n", "label": {"text": "Name"}, "value": 'a "b"', "attributes": {"data-x": "1"}}),
    ("radios", {"name": "r", "fieldset": {"legend": {"text": "Pick"}}, "value": "b",
                "items": [{"value": "a", "text": "A"}, {"value": "b", "text": "B", "hint": {"text": "h"}}]}),
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
    assert ours == theirs
