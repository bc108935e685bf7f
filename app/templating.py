"""Jinja templates that import the design system's macros at the cost of a set comparison.

Every NHS.UK component's template starts with `{% from ... import ... %}` lines, and they run
each time the component is included, so one page makes dozens of imports. Jinja's
`Template._get_default_module(ctx)` decides per import whether the cached module will do by
computing `ctx.globals_keys - self.globals.keys()`: `self.globals` is a ChainMap over the
environment's globals (about 40 here), whose `in` is a Python-level loop, so each import cost
~40 ChainMap look-ups: a tenth of the patient home's time in a profile. The same decision is
made here against a frozenset of the keys, rebuilt only when a map's size changes (globals are
set when the app is created). The module is still rebuilt when the importing context carries a
global this template has not got, exactly as Jinja does.
"""
from __future__ import annotations

from collections import ChainMap, abc

from jinja2 import ChainableUndefined, Template, Undefined
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape


class FastImportTemplate(Template):
    def _get_default_module(self, ctx=None):
        if ctx is not None and not ctx.globals_keys <= self._global_keys():
            return super()._get_default_module(ctx)
        return super()._get_default_module(None)

    def _global_keys(self) -> frozenset:
        maps = self.globals.maps if isinstance(self.globals, ChainMap) else [self.globals]
        sizes = tuple(len(m) for m in maps)
        cached = self.__dict__.get("_global_keys_cache")
        if cached is None or cached[0] != sizes:
            cached = (sizes, frozenset(self.globals))
            self._global_keys_cache = cached
        return cached[1]


# ---------------------------------------------------------------- the design system's attributes macro
#
# Every NHS.UK component renders its attributes through the `nhsukAttributes` macro
# (nhsuk/macros/attributes.jinja), about fifty times a page: a macro call, a namespace, a loop of
# `set`s and Jinja attribute look-ups for each attribute, a tenth of a patient page's time in a
# profile. templates/nhsuk/macros/attributes.jinja (found before the package's, the loaders are
# ours first) hands the components this function instead. It returns exactly what the macro
# returns, whitespace included (the whitespace between the macro's tags is output, and inside a
# <textarea>'s start tag the page keeps it byte for byte); tests/test_templating.py compares the
# two on a table of inputs, so a new version of the design system that changes the macro fails
# there rather than changing pages.

_BEFORE = "\n  "               # the macro's text before its first branch
_MAPPING_OPEN = "\n    "        # entering the mapping branch
_MAPPING_CLOSE = "\n  "         # after its loop
_ESCAPED_OPEN = "\n    "        # entering the branch for an escaped object with a string `.val`
_NO_VALUE = "\n        \n        "           # a value that is undefined, none or escaped
_ARRAY_VALUE = "\n        "
_OTHER_VALUE = "\n        \n        \n      "
_BOOLEAN_OUTPUT = "\n        "
_PAIR_OUTPUT = "\n        \n          \n        \n      "
_ITEM_CLOSE = "\n    "


def _undefined_or_none(value) -> bool:
    # The app's `none` test (app/__init__.py): an undefined value counts as none.
    return value is None or isinstance(value, Undefined)


def _lookup(options, key):
    """Jinja's `options.key` on a mapping the macro builds or is given."""
    try:
        return options[key]
    except (KeyError, TypeError):
        return _MISSING


_MISSING = ChainableUndefined()


def make_nhsuk_attributes(environment):
    def dumps(value) -> str:
        return htmlsafe_json_dumps(value, dumps=environment.policies["json.dumps_function"],
                                   **environment.policies["json.dumps_kwargs"])

    def nhsuk_attributes(attributes=_MISSING) -> Markup:
        out = [_BEFORE]
        html = attributes if isinstance(attributes, str) else ""
        if (not isinstance(attributes, Undefined) and hasattr(attributes, "__html__")
                and isinstance(getattr(attributes, "val", None), str)):
            out.append(_ESCAPED_OPEN)
            html = Markup(attributes)
        elif isinstance(attributes, abc.Mapping):
            out.append(_MAPPING_OPEN)
            parts = [html]
            for name, item in attributes.items():
                options = item if isinstance(item, abc.Mapping) else {"value": item, "type": "string", "optional": False}
                option_value = _lookup(options, "value")
                value = _MISSING
                if _undefined_or_none(option_value):
                    out.append(_NO_VALUE)
                    value, escaped = None, ""
                elif hasattr(option_value, "__html__"):
                    out.append(_NO_VALUE)
                    value, escaped = _jinja_getattr(environment, option_value, "val"), option_value
                elif _lookup(options, "type") == "array" and _iterable(option_value):
                    out.append(_ARRAY_VALUE)
                    escaped = Markup(dumps(option_value))
                else:
                    out.append(_OTHER_VALUE)
                    value, escaped = option_value, escape(option_value)
                optional = _lookup(options, "optional") is True
                if optional and value is True:
                    out.append(_BOOLEAN_OUTPUT)
                    parts.append(f" {escape(name)}")
                elif (optional and not _undefined_or_none(value) and value is not False) or not optional:
                    out.append(_PAIR_OUTPUT)
                    shown = str(value).lower() if isinstance(value, bool) else escaped
                    quote = "'" if '"' in escaped else '"'
                    parts.append(f" {escape(name)}={quote}{shown}{quote}")
                out.append(_ITEM_CLOSE)
            out.append(_MAPPING_CLOSE)
            html = "".join(str(part) for part in parts)
        return Markup("".join(out) + str(html))

    return nhsuk_attributes


def _iterable(value) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _jinja_getattr(environment, obj, name):
    return environment.getattr(obj, name)
