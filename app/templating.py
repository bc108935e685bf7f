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

import functools
import re
from collections import ChainMap, abc
from typing import NamedTuple

from flask import g, get_flashed_messages, has_request_context, request, url_for
from flask.globals import request_ctx
from jinja2 import ChainableUndefined, Template, Undefined, pass_context
from jinja2.runtime import new_context
from jinja2.filters import do_indent
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from .forms import outbox_owner_of
from .html_whitespace import (KEPT_TAG, opens_or_closes_a_kept_element, page_plan, passed_page,
                              pieces_without_indentation)


class FastImportTemplate(Template):
    def _get_default_module(self, ctx=None):
        if ctx is not None and not ctx.globals_keys <= self._global_keys():
            return super()._get_default_module(ctx)
        return super()._get_default_module(None)

    def new_context(self, vars=None, shared=False, locals=None):
        # Jinja copies the template's globals, a ChainMap over the environment's (about seventy),
        # into each new context through the ChainMap's Python-level iteration and look-ups: a
        # call per global, 170 calls a page, on every render and include. The same dict made
        # with two C-level updates (the first map wins, as in the ChainMap) is handed over
        # instead; Jinja's context takes the same values and the same keys from it.
        globals_ = self.globals
        if isinstance(globals_, ChainMap):
            flat: dict = {}
            for mapping in reversed(globals_.maps):
                flat.update(mapping)
            globals_ = flat
        return new_context(self.environment, self.name, self.blocks, vars, shared, globals_, locals)

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
                    value, escaped = environment.getattr(option_value, "val"), option_value
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


# ---------------------------------------------------------------- the indent filter, cheaper

# Every character str.splitlines() (so Jinja's `indent` filter) takes for the end of a line.
# What str.splitlines() splits at, so what Jinja's `indent` treats as a line break.
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def indented(value: str, width: int) -> str:
    """Jinja's `value | indent(width)`, cheaper: a value of one line comes back as it is without
    Jinja's split and join, and Markup is indented as a plain string and marked safe again (Jinja
    escapes each indented line of Markup: the same characters, at ten times the cost for a
    block of HTML of a dozen lines)."""
    if not LINE_BREAK.search(value):
        return value
    if isinstance(value, Markup):
        return Markup(do_indent(str(value), width))
    return do_indent(value, width)


# ---------------------------------------------------------------- the design system's components, named everywhere
#
# Every template calls the design system's components by their macro names (`button(...)`,
# `card(...)`) without importing them: they are the environment's globals. Importing them was the
# one way before, twenty `{% from ... import %}` lines at the top of base.html run on every page
# (each a template look-up and a module check, a sixth of the layout's render), whether the page
# used them or not, and pages used them through base.html's imports anyway.

# The globals' names, and the folders of nhsuk/components/ their macros are in.
DESIGN_SYSTEM_MACROS = {
    "backLink": "back-link", "button": "button", "card": "card", "characterCount": "character-count",
    "checkboxes": "checkboxes", "dateInput": "date-input", "details": "details",
    "errorSummary": "error-summary", "input": "input", "insetText": "inset-text",
    "notificationBanner": "notification-banner", "pagination": "pagination", "panel": "panel",
    "radios": "radios", "select": "select", "skipLink": "skip-link", "summaryList": "summary-list",
    "table": "tables", "tag": "tag", "textarea": "textarea", "warningCallout": "warning-callout",
}


def macro_name(folder: str) -> str:
    """A component's macro name from its folder's: `summary-list` -> `summaryList`."""
    return "".join(word.title() if i else word for i, word in enumerate(folder.split("-")))


def component_macro(environment, folder: str, name: str):
    """The macro `name` of nhsuk/components/<folder>/macro.jinja, as `{% from ... import %}` gives it."""
    return getattr(environment.get_template(f"nhsuk/components/{folder}/macro.jinja").module, name)


class ComponentMacro:
    """A component's macro as a template global, loaded on its first call (not when the app is
    made: most apps a test makes render few components); looked up again on each call when
    templates reload (development), as an import would."""

    __slots__ = ("environment", "folder", "name", "macro")

    def __init__(self, environment, folder: str, name: str):
        self.environment, self.folder, self.name, self.macro = environment, folder, name, None

    def __call__(self, *args, **kwargs):
        macro = self.macro
        if macro is None or self.environment.auto_reload:
            macro = self.macro = component_macro(self.environment, self.folder, self.name)
        return macro(*args, **kwargs)


def register_design_system_macros(environment) -> None:
    environment.globals.update({name: ComponentMacro(environment, folder, name)
                                for name, folder in DESIGN_SYSTEM_MACROS.items()})


# ---------------------------------------------------------------- links that are the same for everyone
#
# The layout links a dozen pages on every page (the manifest, sign-out, keep-alive, the header's
# and footer's links): each `url_for` a Werkzeug build of a tenth of the layout's render. A link
# to an endpoint with no values is the same for everyone on a site, so templates' `url_for` builds
# it once per root path (the site's mount point, as app/main/patient_nav.py keys its links) and
# keeps it; any other call is built as Flask builds it.

def make_template_url_for():
    built: dict[tuple[str, str], str] = {}

    def template_url_for(endpoint: str, **values) -> str:
        if values or endpoint[:1] == "." or not has_request_context():
            return url_for(endpoint, **values)
        key = (endpoint, request.script_root)
        link = built.get(key)
        if link is None:
            link = built[key] = url_for(endpoint)
        return link

    return template_url_for


# ---------------------------------------------------------------- components rendered once for everyone
#
# The header runs on every page with arguments that are the same for everyone of a role in a
# given menu state (a tenth to a sixth of a page's time under cProfile), the footer, the update
# notice and the skip link with the same arguments for everyone. `memoised_component(name, params)`
# renders a design-system component through a small memo (COMPONENT_MEMO_SIZE entries, least recently
# used dropped) keyed on its full arguments, so that work is done once per process for each
# shape. Nothing personal is ever kept: a template marks each personal value (a name, an unread
# count, a form with the person's CSRF token) with `personal(...)`; the component is rendered, and
# remembered, with a placeholder in its place, and the person's own value is put in on the way
# out, through what the component did to the placeholder: an `&` in it shows whether it was
# escaped, whitespace marks either side whether `trim` removed them, a second line how far
# `indent` indented. A value may be shown more than once (the layout shows the CSRF token and the
# nonce twice); a component that shows any value cut, changed or not at all, or is given any other
# argument holding a placeholder's character, is rendered directly every time. tests/test_templating.py proves two people get their own header bits from
# the same memo entry and that the memo renders what the component renders.

COMPONENT_MEMO_SIZE = 512


class Personal:
    """A value one person sees: never part of the memo's key nor of what it keeps."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


# The class itself (a function making one was a second Python call for each value, a dozen to
# seventy a page).
personal = Personal


_MARK = "\u2003"  # an em space: whitespace to `trim`, never in the design system's templates
_PLACEHOLDER_CHARACTER = "\x00"  # what marks a placeholder: no argument of a memoised call may hold it
_PLACEHOLDER = re.compile(f"({_MARK}?)\x00(\\d+)(&|&amp;)\n( *)\x00({_MARK}?)")


def _placeholder(number: int, markup: bool) -> str:
    """Of the value's kind: a component escapes a str placeholder where it escapes a str value."""
    text = f"{_MARK}\x00{number}&\n\x00{_MARK}"
    return Markup(text) if markup else text


# What markupsafe's escape replaces in a string, and with what (tests/test_templating.py compares).
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def escaped_text(value) -> str:
    """markupsafe's `escape(value)` as a plain str, a plain string's in one call (escape is five:
    it makes Markup twice); for text put in HTML that is marked safe whole afterwards."""
    if type(value) is str:
        return value.translate(HTML_ESCAPES)
    return str(escape(value))


def _frozen(value, personal_values: list):
    """A hashable copy of a component's arguments, each personal value a numbered placeholder;
    None when the arguments hold something the memo cannot key on."""
    # Plain strings and dicts first, by exact type: nearly every value of a header's arguments
    # is one, and asking `isinstance(value, abc.Mapping)` of each string was most of this
    # function's time (the header's arguments are frozen on every page).
    kind = type(value)
    if kind is str:
        # A value that is not personal but holds what placeholders are made of could be taken
        # for one, and a person's own value (their CSRF token) put in its place: rendered directly.
        return None if _PLACEHOLDER_CHARACTER in value else value
    if kind is dict:
        return _frozen_mapping(value, personal_values)
    if kind is bool or kind is int or value is None:
        # Flags that pick a page's text (app/main/home_page.py), by exact type as str above.
        return (kind.__name__, value)
    if kind is list or kind is tuple:
        # A list of mappings (a component's rows or items) freezes each without going through here.
        items = [_frozen_mapping(item, personal_values) if type(item) is dict else _frozen(item, personal_values)
                 for item in value]
        return None if None in items else ("list", tuple(items))
    if kind is Personal or isinstance(value, Personal):
        if not value.value:
            return None  # an empty value would take another branch than its placeholder
        personal_values.append(value.value)
        return ("personal", len(personal_values) - 1, isinstance(value.value, Markup))
    if isinstance(value, str) and _PLACEHOLDER_CHARACTER in value:
        return None
    if isinstance(value, Markup):
        return ("markup", str(value))
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return (type(value).__name__, value)
    if isinstance(value, Undefined):
        return ("undefined",)
    if isinstance(value, abc.Mapping):
        return _frozen_mapping(value, personal_values)
    if isinstance(value, (list, tuple)):
        items = [_frozen(item, personal_values) for item in value]
        return None if any(item is None for item in items) else ("list", tuple(items))
    return None


def _frozen_mapping(value, personal_values: list):
    # The kinds nearly every value of the layout's and the header's arguments is (a string, a
    # flag, a person's value) are frozen here as _frozen freezes them, without a call for each:
    # the layout's two dozen arguments are frozen on every page.
    items = []
    for key, item in value.items():
        if type(key) is not str or _PLACEHOLDER_CHARACTER in key:
            return None
        kind = type(item)
        if kind is str:
            if _PLACEHOLDER_CHARACTER in item:
                return None
            frozen = item
        elif kind is bool:
            frozen = ("bool", item)
        elif kind is int:
            frozen = ("int", item)
        elif kind is Markup:
            if _PLACEHOLDER_CHARACTER in item:
                return None
            frozen = ("markup", str(item))
        elif kind is Personal:
            own = item.value
            if not own:
                return None  # an empty value would take another branch than its placeholder
            frozen = ("personal", len(personal_values),
                      type(own) is Markup or (type(own) is not str and isinstance(own, Markup)))
            personal_values += (own,)
        elif kind is dict:
            frozen = _frozen_mapping(item, personal_values)
            if frozen is None:
                return None
        elif item is None:
            frozen = ("NoneType", None)
        else:
            frozen = _frozen(item, personal_values)
            if frozen is None:
                return None
        items += ((key, frozen),)
    return ("dict", tuple(items))


def _thawed(frozen):
    if isinstance(frozen, str):
        return frozen
    kind = frozen[0]
    if kind == "personal":
        return _placeholder(frozen[1], frozen[2])
    if kind == "markup":
        return Markup(frozen[1])
    if kind == "undefined":
        return ChainableUndefined()
    if kind == "dict":
        return {key: _thawed(item) for key, item in frozen[1]}
    if kind == "list":
        return [_thawed(item) for item in frozen[1]]
    return frozen[1]


def make_memoised_component(environment):
    def macro(name: str):
        if name == LAYOUT:
            return environment.get_template(LAYOUT_TEMPLATE).module.layout
        if PAGE_MACRO in name:
            # A page's own fixed shape (issue 12: the patient's home), "template:macro": kept the
            # same way as a component, each person's values put in where it shows them.
            template, _, own_macro = name.rpartition(":")
            return getattr(environment.get_template(template).module, own_macro)
        return component_macro(environment, name, macro_name(name))

    @functools.lru_cache(maxsize=COMPONENT_MEMO_SIZE)
    def rendered_with_placeholders(name: str, frozen_params) -> _Memoised | None:
        """The component's HTML cut at its placeholders: text, then a _Slot saying how the
        component treated the personal value there, and so on; None when it cannot be cut so."""
        html = str(macro(name)(_thawed(frozen_params)))
        parts: list = []
        start = 0
        for match in _PLACEHOLDER.finditer(html):
            before, number, ampersand, indent, after = match.groups()
            if bool(before) != bool(after):
                return None
            parts += [html[start:match.start()], _Slot(int(number), ampersand == "&amp;", not before, len(indent))]
            start = match.end()
        parts.append(html[start:])
        # Every personal value must come out whole, each where it is shown (the layout shows the
        # CSRF token and the nonce more than once), and nothing of a placeholder anywhere else: a
        # value the component cut, changed or tested would otherwise be kept or lost.
        numbers = {part.number for part in parts if isinstance(part, _Slot)}
        if numbers != set(range(_count_personal(frozen_params))) or any(
                _PLACEHOLDER_CHARACTER in part for part in parts if isinstance(part, str)):
            return None
        # The indentation the page's pass would take out, taken out once here: the header's was
        # most of that pass's work on every page (its attributes' lines of whitespace).
        texts, inside_kept = pieces_without_indentation([part for part in parts if isinstance(part, str)])
        slots = tuple(part for part in parts if isinstance(part, _Slot))
        if inside_kept is not None:
            slots = tuple(slot._replace(kept=kept) for slot, kept in zip(slots, inside_kept, strict=True))
        # The layout is a whole page: the pass over the page is made as the values go in, over
        # what lies around them alone (app/html_whitespace.py page_plan).
        plan = page_plan(texts, inside_kept) if name == LAYOUT else None
        return _Memoised(tuple(texts), slots, plan)

    def put_in(slot: _Slot, value) -> str | None:
        """The value as the component shows it; None when it has a tag that would change where
        the page's whitespace pass leaves text as it is (app/html_whitespace.py)."""
        if slot.escaped:
            # A plain string or number as markupsafe's escape gives it, in one call rather than five.
            value = str(value) if type(value) is int else escaped_text(value)
        elif opens_or_closes_a_kept_element(value):
            return None
        if slot.trimmed:
            value = value.strip()
        if slot.indent:
            value = indented(value, slot.indent)
        if slot.kept and KEPT_TAG.search(value):
            return None
        return str(value)

    def memoised_component(name: str, params) -> Markup:
        personal_values: list = []
        frozen = _frozen(params, personal_values)
        memoised = rendered_with_placeholders(name, frozen) if frozen is not None else None
        if memoised is not None:
            values: list = []
            for slot in memoised.slots:
                value = personal_values[slot.number]
                # Most values are text the component escapes and shows as it is: put in here.
                if type(value) is str and slot.escaped and not (slot.trimmed or slot.indent or slot.kept):
                    value = value.translate(HTML_ESCAPES)
                else:
                    value = put_in(slot, value)
                    if value is None:
                        break
                values += (value,)
            else:
                if memoised.plan is not None:
                    return Markup(passed_page(memoised.plan, values))
                texts = memoised.texts
                # One text more than values: the last goes after them.
                return Markup("".join([text for pair in zip(texts, values, strict=False) for text in pair]) + texts[-1])
        return macro(name)(_unwrapped(params))

    memoised_component.cache_info = rendered_with_placeholders.cache_info
    memoised_component.cache_clear = rendered_with_placeholders.cache_clear
    return memoised_component


class _Memoised(NamedTuple):
    texts: tuple[str, ...]    # the component's text, one more than its slots
    slots: tuple              # _Slot: where each personal value goes, between two texts
    plan: tuple | None        # a whole page's (the layout's): how its pass is made


class _Slot(NamedTuple):
    number: int
    escaped: bool
    trimmed: bool
    indent: int
    # Inside a textarea, pre, script or style of the component (a nonce in a script's tag).
    kept: bool = False


def _count_personal(frozen) -> int:
    if isinstance(frozen, str):
        return 0
    if frozen[0] == "personal":
        return 1
    if frozen[0] == "dict":
        return sum(_count_personal(item) for _, item in frozen[1])
    if frozen[0] == "list":
        return sum(_count_personal(item) for item in frozen[1])
    return 0


def _unwrapped(value):
    """The arguments as the component takes them, personal values in place."""
    if isinstance(value, Personal):
        return value.value
    if isinstance(value, abc.Mapping):
        return {key: _unwrapped(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unwrapped(item) for item in value]
    return value


# ---------------------------------------------------------------- the layout, rendered once for each shape
#
# Every page's layout (templates/base_layout.html: head, header, update notice, idle warning,
# footer) is the same for everyone of a role on a given menu entry, but for a dozen values: the
# CSRF token, the CSP nonce, the person's name and outbox owner, their unread count and seconds
# left, and the page's own blocks. Rendered by Jinja on every page it was a third of a page that
# reads nothing (bench/request_profile.py): 84 resumptions of the layout's generator, three dozen
# calls through the context. `layout_page` (all templates/base.html does) gathers those values,
# each person's marked personal, and asks the components' memo for the layout of this shape,
# rendered once and kept with placeholders where the values go; the page's blocks go in the
# same way. Nothing the layout shows is read from anywhere but here, so the memo's key is the
# whole of what makes two people's layouts differ besides their own values. The layout is the
# whole page, so the page's whitespace pass is made as the values go in, over what lies around
# them alone (app/html_whitespace.py page_plan), and not again after the view.

LAYOUT = "layout"
LAYOUT_TEMPLATE = "base_layout.html"
# memoised_component("main/_home.html:home_top", ...): a macro of one of the app's templates.
PAGE_MACRO = ".html:"

# The staff's menu: (endpoint, words, the paths it is current on).
STAFF_NAV = (
    ("nurse.queue", "Queue", ("/nurse/queue",)),
    ("nurse.patients", "Patients", ("/nurse/patients",)),
    ("hna.team_list", "Needs assessments", ("/nurse/hnas",)),
    # With the count of the patients' messages nobody in the team has opened (issue 10).
    ("messages.team_unread", "Messages", ("/nurse/messages",)),
)
ADMIN_NAV = ("admin.index", "Admin", ("/admin",))
CLINICAL_STAFF_NAV = ("results.monitoring", "Monitoring", ("/nurse/monitoring", "/nurse/results"))
STAFF_MESSAGES = "messages.team_unread"


def _staff_nav(admin: bool) -> tuple:
    return (*STAFF_NAV, ADMIN_NAV if admin else CLINICAL_STAFF_NAV)


def current_staff_nav_entries(path: str, admin: bool) -> tuple[str, ...]:
    """The endpoints of the staff's menu entries current at `path`."""
    return tuple(endpoint for endpoint, _, paths in _staff_nav(admin) if path.startswith(paths))


@pass_context
def staff_menu(context, current: tuple[str, ...], messages_html, admin: bool) -> list[dict]:
    """The staff's menu as the header's navigation items (templates/base_layout.html);
    `messages_html` the Messages entry's words, the person's own (a count)."""
    url_for_ = context["url_for"]
    return [{"href": url_for_(endpoint), "html": messages_html, "current": endpoint in current}
            if endpoint == STAFF_MESSAGES else {"href": url_for_(endpoint), "text": text, "current": endpoint in current}
            for endpoint, text, _ in _staff_nav(admin)]


def _personal_unless_empty(value):
    # Nothing in an empty block or message list is anyone's: the memo keeps it with the shape.
    return personal(value) if value else value


# Flashed messages as base.html's loop printed them (its whitespace kept: page text may follow).
_FLASHES_BEFORE, _FLASH_BEFORE, _FLASH_AFTER, _FLASHES_AFTER = "\n        ", "\n          ", "\n        ", "\n      "


def _flashed_messages(notification_banner):
    banners = "".join(
        _FLASH_BEFORE + notification_banner({
            "text": message,
            "type": "success" if category == "success" else _MISSING,
            "titleText": "Success" if category == "success" else "Important",
        }) + _FLASH_AFTER
        for category, message in _messages_flashed())
    if not banners:
        return Markup(_FLASHES_BEFORE + _FLASHES_AFTER)
    return personal(Markup(_FLASHES_BEFORE + banners + _FLASHES_AFTER))


def _messages_flashed() -> list:
    """Flask's `get_flashed_messages(with_categories=True)`, answered without it when none were
    flashed (nearly every page): the request's context read once, not through Flask's proxies
    three times (~15 Python calls a page). Left as Flask leaves it (its `flashes` set to the empty
    list: a message flashed later in this request is not shown in it, as before); Flask's own
    function whenever there are messages or the context has read them already."""
    context = request_ctx._get_current_object()
    if context.flashes is None and "_flashes" not in context.session:
        context.flashes = []
        return context.flashes
    return get_flashed_messages(with_categories=True)


@pass_context
def layout_page(context, title: Markup, head: Markup, before_content: Markup, content: Markup) -> Markup:
    """The page in its layout (templates/base.html), the layout from the memo; its blocks as the
    page's templates rendered them."""
    environment = context.environment
    # The app's template globals this asks for (the nonce, the token, the timer's figures, the
    # menu's, the components) read from the environment's own dict: through the context, each
    # was two Python calls (Context.__getitem__, resolve_or_missing), a dozen a page. No page
    # passes a value of the same name to shadow one.
    functions = environment.globals
    # The request and its globals read once, not through their proxies for each value.
    this_request = request._get_current_object()
    request_globals = g._get_current_object()
    user = context.get("current_user")
    public_page = context.get("public_page")
    form = context.get("form")
    form_errors = bool(form and environment.getattr(form, "errors"))
    signed_in = bool(user.is_authenticated and not public_page)
    page = {
        "post": this_request.method == "POST",
        "form_errors": form_errors,
        "title": _personal_unless_empty(title),
        "public_page": bool(public_page),
        "signed_in": signed_in,
        "nonce": personal(functions["csp_nonce"]()),
        "script_root": this_request.script_root,
    }
    if not public_page:
        page["csrf_token"] = personal(functions["csrf_token"]())
    page["head"] = _personal_unless_empty(head)
    if signed_in:
        patient = bool(user.is_patient)
        page["patient"] = patient
        page["session_idle_seconds"] = functions["session_idle_seconds"]()
        page["session_warning_seconds"] = functions["session_warning_seconds"]()
        page["session_seconds_left"] = personal(functions["session_seconds_left"](request_globals, page["session_idle_seconds"]))
        if patient:
            page["outbox_owner"] = personal(outbox_owner_of(user))
        page["display_name"] = personal(user.display_name)
        # Both menus' Messages entry, with the count of unread messages when there are any.
        page["messages_html"] = personal(functions["nav_text_html"]("Messages", request_globals.get("unread_messages") or 0))
        page["staff"] = staff = bool(user.is_staff)
        if staff:
            page["admin"] = admin = bool(user.is_admin)
            page["nav_current"] = current_staff_nav_entries(this_request.path, admin)
        elif patient:
            page["nav_current"] = functions["current_patient_nav_entries"](this_request.path, this_request.script_root)
    else:
        page["patient"] = False
    page["before_content"] = _personal_unless_empty(before_content)
    page["flashed_messages"] = _flashed_messages(functions["notificationBanner"])
    if form_errors:
        page["error_summary"] = personal(functions["errorSummary"](
            {"titleText": "There is a problem", "errorList": functions["error_summary_items"](form)}))
    page["content"] = _personal_unless_empty(content)
    # The app's configuration from the template's environment (Flask's keeps its app), not the proxy.
    page["demo_mode"] = bool(environment.app.config["DEMO_MODE"])
    return functions["memoised_component"](LAYOUT, page)
