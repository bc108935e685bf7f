"""Renders a design-system component through our macro (app/components, Python where it was
written for the parameters) and through the design system's own templates, as a page would
carry each: inside tags, indented, after the page whitespace pass (app/html_whitespace.py)."""
from __future__ import annotations

import random
from collections.abc import Mapping

from jinja2 import PackageLoader

from app.components import COMPONENTS
from app.html_whitespace import without_indentation


def macro_name(component: str) -> str:
    first, *rest = component.split("-")
    return first + "".join(word.title() for word in rest)


# Where a page puts a component: after a tag on its own line (most calls), or within a line of
# text, where the whitespace the component starts and ends with is kept by the whitespace pass.
AFTER_A_TAG = ("<main>\n  <div>\n    ", "\n  </div>\n</main>")
WITHIN_TEXT = ("<main>\n  <p>Some text ", " more text</p>\n</main>")
# Nothing around it: straight after one tag and before the next (a macro's `{{-`, or
# `warningCallout(...) ~ input(...)`), where the line breaks it starts and ends with are all there is.
STRAIGHT_BETWEEN_TAGS = ("<form>", "<p>after</p>")
PLACES = (AFTER_A_TAG, WITHIN_TEXT, STRAIGHT_BETWEEN_TAGS)


def _render(environment, component: str, params, call_body: str | None, around=AFTER_A_TAG) -> str:
    name = macro_name(component)
    source = f'{{% from "nhsuk/components/{component}/macro.jinja" import {name} %}}'
    if call_body is None:
        source += f"{{{{ {name}(params) }}}}"
    else:
        source += f"{{% call {name}(params) %}}{call_body}{{% endcall %}}"
    # The component as a page holds it: between indented tags, then the whitespace pass.
    page = around[0] + environment.from_string(source).render(params=params) + around[1]
    return without_indentation(page)


def ours_and_theirs(app, component: str, params, call_body: str | None = None,
                    around=AFTER_A_TAG) -> tuple[str, str]:
    """(our page bytes, the design system's page bytes) for one call of the component, placed as
    `around` says (AFTER_A_TAG or WITHIN_TEXT)."""
    theirs_environment = app.jinja_env.overlay(loader=PackageLoader("nhsuk_frontend_jinja"), cache_size=0)
    with app.test_request_context():
        return (_render(app.jinja_env, component, params, call_body, around),
                _render(theirs_environment, component, params, call_body, around))


def rendered_in_python(app, component: str, params) -> bool:
    """Whether our macro renders these parameters in Python (True) or falls back (False)."""
    with app.test_request_context():
        return app.jinja_env.globals["python_component"](component, params) is not None


# Classes that need escaping: the templates escape `classes` wherever they print it (found in
# review: three Python components printed it raw).
HOSTILE_CLASSES = 'x" onclick="a&b<c>\''


def random_params(space: Mapping[str, list], rng: random.Random) -> dict:
    """Some of the keys of `space`, each with one of its candidate values (a candidate may be a
    function of the random source, for nested parameters)."""
    params = {}
    for key, candidates in space.items():
        if rng.random() < 0.6:
            value = rng.choice(candidates)
            params[key] = value(rng) if callable(value) else value
    return params


def registered() -> list[str]:
    return sorted(COMPONENTS)
