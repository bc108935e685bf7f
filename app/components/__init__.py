"""The NHS.UK design system's components as Python functions, for the parameters this service uses.

A component's Jinja template in nhsuk_frontend_jinja is a program of a few hundred lines, run
for every card, button and radio on a page: the templates were about a third of a page's time
under cProfile, a card ~0.8 ms, the HNA question page's radios half the page. Here a component
is a Python function that returns the same HTML.

One mechanism, for every component:
- `templates/nhsuk/components/<name>/macro.jinja` (found before the package's own: our loader comes
  first) defines the same macro our templates import, and asks `python_component(name, params,
  caller)` for the HTML;
- the function registered here for that name returns it, or None for anything it was not written
  for (a parameter it does not know, a caller block, a value of another type), and the macro then
  includes the design system's own template, exactly as the package's macro does;
- tests/test_components.py (harness in tests/component_harness.py) renders tables of parameters,
  and random ones, both ways and compares the pages' bytes after the whitespace pass
  (app/html_whitespace.py), so an upgrade of the design system that changes a component fails
  there rather than changing pages.

The functions mirror the templates' logic and whitespace in the text they print (text between tags
keeps its indentation through the whitespace pass); whitespace between tags is free.
"""
from __future__ import annotations

from collections import abc
from collections.abc import Callable

from jinja2 import Undefined
from markupsafe import Markup, escape

from ..templating import indented, make_nhsuk_attributes

Renderer = Callable[[abc.Mapping, "DesignSystem"], "Markup | None"]

# name -> (the parameters the function was written for, the function)
COMPONENTS: dict[str, tuple[frozenset[str], Renderer]] = {}


def component(name: str, *, parameters: set[str]) -> Callable[[Renderer], Renderer]:
    """Registers a function as the design system's `name` component for these parameters."""
    def register(function: Renderer) -> Renderer:
        if name in COMPONENTS:
            raise ValueError(f"The {name} component is registered twice")
        COMPONENTS[name] = (frozenset(parameters), function)
        return function
    return register


class DesignSystem:
    """What the component functions share from the app's Jinja environment."""

    def __init__(self, environment):
        # The design system's `nhsukAttributes`, as the templates get it (app/templating.py).
        self.attributes = make_nhsuk_attributes(environment)


def make_python_component(environment) -> Callable:
    design_system = DesignSystem(environment)

    def python_component(name: str, params=None, caller=None) -> Markup | None:
        """The component's HTML, or None: then the macro includes the design system's template."""
        if caller:
            return None
        if isinstance(params, Undefined) or params is None:
            params = {}
        if not isinstance(params, abc.Mapping):
            return None
        parameters, function = COMPONENTS[name]
        if not params.keys() <= parameters:
            return None
        return function(params, design_system)

    return python_component


# ---------------------------------------------------------------- what the templates do, in Python

# The heading sizes the design system's heading, label and legend know.
HEADING_SIZES = ("xxs", "xs", "s", "m", "l", "xl")


def modifier(prefix: str, value, known: tuple[str, ...], classes, checked: tuple[str, ...] | None = None) -> str | None:
    """The templates' "add the modifier class for `value` (one of `known`) unless the caller's
    classes already hold one": `prefix + value`, or None. `checked`: the values whose classes count
    as already there, when the template looks for others than it adds (a label checks the heading
    sizes)."""
    if value and value in known and (not classes or not any(f"{prefix}{one}" in classes for one in checked or known)):
        return f"{prefix}{value}"
    return None


def joined_classes(base: str, *added) -> str:
    """The class attribute's words: the component's own, then each added one that is there."""
    return " ".join([base, *(one for one in added if one)])


def given(params: abc.Mapping, key: str):
    """`params.key` as a template reads it: a missing key or an undefined value is None."""
    value = params.get(key)
    return None if isinstance(value, Undefined) else value


def text_or_html(params: abc.Mapping, indent: int) -> Markup | None:
    """The templates' `params.html | safe | trim | indent(n)`, else `params.text | trim | indent(n)`
    escaped; None when neither is given (or both are empty)."""
    html = given(params, "html")
    if html:
        return indented(Markup(str(html).strip()), indent)
    text = given(params, "text")
    if text:
        return escape(indented(text.strip() if isinstance(text, str) else str(text).strip(), indent))
    return None


def optional_id(params: abc.Mapping) -> str:
    """`{%- if params.id %} id="{{ params.id }}"{% endif %}`"""
    value = given(params, "id")
    return f' id="{escape(value)}"' if value else ""


# The modules that register the components (last: they import what is above).
from . import display, forms  # noqa: E402, F401
