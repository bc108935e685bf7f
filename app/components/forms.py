"""The design system's form components (radios, checkboxes, inputs, ...), and the parts they share
(hint, error message, label, legend, fieldset), each mirroring its template in
nhsuk_frontend_jinja/templates/nhsuk/components/<name>/template.jinja.

Where a template nests a part, it indents the part's output (`| trim | indent(n)`): the part's
text then carries that indentation on its continuation lines, and the part's start tags too.
Each part here takes `depth`, the total indentation its template output is given, and prints its
text exactly so; whitespace between tags is left to the whitespace pass. Anything a function was
not written for (an unknown nested key, a value of another type, an attribute value with a line
break that an indent would split) raises NotWrittenFor, and the component falls back to the design
system's template.
"""
from __future__ import annotations

import functools
from collections import abc

from jinja2 import Undefined
from markupsafe import Markup, escape

from ..templating import HTML_ESCAPES, LINE_BREAK, escaped_text
from . import HEADING_SIZES, DesignSystem, component, indented, joined_classes, modifier


class NotWrittenFor(Exception):
    """These parameters take a path of the template this module does not mirror."""


class _Absent:
    """A missing key or an undefined value, as the templates see it: false, equal only to
    itself, printed as nothing (where None prints "None")."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def fallback_when_not_written_for(function):
    @functools.wraps(function)
    def rendered(params, design_system):
        try:
            return function(defined(params), design_system)
        except NotWrittenFor:
            return None
    return rendered


def _classes_given(params) -> str:
    # The hint's and error message's templates start with a line break only when given classes.
    return "\n" if params.get("classes") else ""


def with_the_templates_line_breaks(before=lambda params: "\n", after: str = ""):
    """A component's HTML with the line breaks its template prints before and after it (before:
    a function of the parameters), so that where a page puts it straight after or before a tag
    the whitespace pass leaves what it leaves of the template's own."""
    def decorate(function):
        @functools.wraps(function)
        def rendered(params, design_system):
            html = function(params, design_system)
            return None if html is None else Markup(before(params)) + html + Markup(after)
        return rendered
    return decorate


def defined(mapping) -> dict:
    """A copy of a mapping parameter with each undefined value ABSENT: `mapping.get(key, ABSENT)`
    is then `mapping.key` as the template reads it."""
    return {key: ABSENT if isinstance(value, Undefined) else value for key, value in mapping.items()}


def get(mapping, key: str):
    """`mapping.key` in a template: ABSENT when missing or undefined."""
    value = mapping.get(key, ABSENT)
    return ABSENT if isinstance(value, Undefined) else value


def nested(value, keys: frozenset[str]) -> dict:
    """A nested mapping parameter with only the keys mirrored here; absent or None reads as empty
    (every key of it undefined, as in the template)."""
    if value is ABSENT or value is None:
        return {}
    if type(value) is not dict or not value.keys() <= keys:
        raise NotWrittenFor
    return defined(value)


def string_or_mapping(value, keys: frozenset[str]) -> dict:
    """The templates' "support X as string": a mapping as it is, a string as its text (and as its
    html when escaped), anything else as neither."""
    if isinstance(value, abc.Mapping):
        return nested(value, keys)
    if isinstance(value, str):
        return {"text": value, "html": value} if isinstance(value, Markup) else {"text": value}
    if hasattr(value, "__html__"):
        raise NotWrittenFor
    return {}


def concat(value) -> str:
    """`~ value`: undefined joins as nothing, None as "None"."""
    return "" if value is ABSENT else str(value)


def out(value) -> Markup:
    """`{{ value }}` escaped: undefined prints nothing, None "None"."""
    return Markup("") if value is ABSENT else escape(value)


def default(value, fallback):
    """`value | default(fallback)`: only an undefined value is replaced."""
    return fallback if value is ABSENT else value


def one_line(value):
    """A value printed inside a part the template indents: a line break in it would be indented
    too (and `indent` turns \\r, \\u2028 and the like into line breaks), so only one line is mirrored."""
    if isinstance(value, str) and LINE_BREAK.search(value):
        raise NotWrittenFor
    return value


def classes_string(value):
    """`params.classes`, which the templates search with `in`: a string, or nothing."""
    if value is ABSENT or value is None:
        return value
    if not isinstance(value, str):
        raise NotWrittenFor
    return one_line(value)


def attributes_mapping(value):
    """`params.attributes`: a mapping of one-line values (nhsukAttributes prints it), or nothing."""
    if value is ABSENT or value is None:
        return value
    if type(value) is not dict:
        raise NotWrittenFor
    for name, item in value.items():
        one_line(name)
        options = item if isinstance(item, abc.Mapping) else {"value": item}
        one_line(options.get("value"))
    return value


def optional_attribute(name: str, value) -> str:
    """nhsukAttributes' `{"value": value, "optional": true}`: nothing when none or false, the bare
    name when true, else the escaped value."""
    if value is ABSENT or value is None or value is False:
        return ""
    if value is True:
        return f" {name}"
    if hasattr(value, "__html__"):
        raise NotWrittenFor  # printed unescaped, quoted by what it holds
    return f' {name}="{escape(one_line(value))}"'


def tag_attributes(design_system: DesignSystem, value) -> str:
    """`nhsukAttributes(params.attributes)` inside a start tag the whitespace pass tidies (every
    one but a <textarea>'s): nothing given prints the macro's whitespace, one space after the pass."""
    if value is ABSENT or value is None:
        return " "
    return design_system.attributes(attributes_mapping(value))


def mapped_attributes(design_system: DesignSystem, mapping: dict) -> str:
    """`nhsukAttributes(mapping)` for a component's own attributes inside a start tag the
    whitespace pass tidies: plain values (strings, numbers, booleans, none) printed here, as the
    macro prints them; anything else (Markup, arrays) by the macro's function."""
    pairs = []
    for name, item in mapping.items():
        if type(item) is dict:
            if item.get("type") == "array":
                return design_system.attributes(mapping)
            value, optional = item.get("value"), item.get("optional") is True
        else:
            value, optional = item, False
        if isinstance(value, Undefined):
            value = None
        elif hasattr(value, "__html__"):
            return design_system.attributes(mapping)
        if optional and value is True:
            pairs.append(f" {escape(name)}")
        elif not optional or (value is not None and value is not False):
            shown = str(value).lower() if isinstance(value, bool) else ("" if value is None else escape(value))
            pairs.append(f' {escape(name)}="{shown}"')
    return "".join(pairs)


def content(params: dict, indent: int) -> Markup | None:
    """`params.html | safe`, else `params.text` escaped, trimmed and indented; None when neither is
    given (or both are empty)."""
    html = params.get("html", ABSENT)
    if html:
        return indented(Markup(str(html).strip()), indent)
    text = params.get("text", ABSENT)
    if text:
        return indented(escape(text).strip(), indent)
    return None


def spaces(count: int) -> str:
    return " " * count


# ---------------------------------------------------------------- the parts form components share

HINT_KEYS = frozenset({"text", "html", "id", "classes", "attributes"})


def hint_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/hint/template.jinja, its output indented by `depth`
    classes = classes_string(params.get("classes", ABSENT))
    hint_id = params.get("id", ABSENT)
    text = content(params, 2 + depth)
    return Markup(
        f'<div class="nhsuk-hint{" " + escape(classes) if classes else ""}"'
        f'{f" id={chr(34)}{escape(one_line(hint_id))}{chr(34)}" if hint_id else ""}'
        f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>'
        f'\n\n{spaces(2 + depth) + text if text is not None else ""}\n\n{spaces(depth)}</div>')


ERROR_MESSAGE_KEYS = frozenset({"text", "html", "id", "classes", "attributes", "visuallyHiddenText"})


def error_message_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/error-message/template.jinja, its output indented by `depth`
    classes = classes_string(params.get("classes", ABSENT))
    error_id = params.get("id", ABSENT)
    hidden = default(params.get("visuallyHiddenText", ABSENT), "Error")
    text = content(params, 2 + depth) or ""
    hidden_html = f'<span class="nhsuk-u-visually-hidden">{escape(one_line(hidden))}: </span>' if hidden else ""
    return Markup(
        f'<span class="nhsuk-error-message{" " + escape(classes) if classes else ""}"'
        f'{f" id={chr(34)}{escape(one_line(error_id))}{chr(34)}" if error_id else ""}'
        f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>'
        f'\n{spaces(2 + depth)}\n{spaces(2 + depth)}{hidden_html}{text}\n{spaces(2 + depth)}\n{spaces(depth)}</span>')


def _heading_content(text: Markup, depth: int) -> str:
    """The text of nhsuk/components/heading/template.jinja without a visually hidden part or a
    caption, the heading's own output indented by `depth`."""
    return f"\n\n\n{spaces(4 + depth)}{text}\n{spaces(2 + depth)}\n\n\n{spaces(depth)}"


LABEL_SIZES = ("s", "m", "l", "xl")
LABEL_KEYS = frozenset({"text", "html", "for", "id", "classes", "size", "isPageHeading", "attributes"})


def _page_heading(params: dict) -> bool:
    # `(params.isPageHeading and heading != false) or (params.isPageHeading != false and heading)`
    # with no `heading` given
    return bool(params.get("isPageHeading", ABSENT))


def _sized_text(params: dict, depth: int) -> tuple:
    """What a label and a legend (each through the heading template) read first: their classes,
    size, whether they are the page's heading, the depth their text is indented at (two more
    inside the heading) and that text (None: nothing is printed)."""
    classes = classes_string(params.get("classes", ABSENT))
    size = params.get("size", ABSENT)
    if not (size is ABSENT or size is None or isinstance(size, str)):
        raise NotWrittenFor
    heading = _page_heading(params)
    text_depth = depth + 2 if heading else depth
    return classes, size, heading, text_depth, content(params, 2 + text_depth)


def label_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/label/template.jinja (through nhsuk/components/heading/template.jinja),
    # its output indented by `depth`; nothing when it has no text
    classes, size, heading, label_depth, text = _sized_text(params, depth)
    if text is None:
        return Markup("")
    names = joined_classes("nhsuk-label", modifier("nhsuk-label--", size, LABEL_SIZES, classes, HEADING_SIZES), classes)
    label = Markup(
        f'<label class="{escape(names)}"{optional_attribute("id", params.get("id", ABSENT))}'
        f'{optional_attribute("for", params.get("for", ABSENT))}'
        f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>'
        f'{_heading_content(text, label_depth)}</label>')
    if heading:
        return Markup(f'<h1 class="nhsuk-label-wrapper" >\n{label}\n{spaces(depth)}</h1>')
    return label


LEGEND_SIZES = ("s", "m", "l", "xl")
LEGEND_KEYS = frozenset({"text", "html", "id", "classes", "size", "isPageHeading", "attributes"})


def legend_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/legend/template.jinja (through nhsuk/components/heading/template.jinja),
    # its output indented by `depth`; nothing when it has no text
    classes, size, heading, text_depth, text = _sized_text(params, depth)
    if text is None:
        return Markup("")
    names = joined_classes("nhsuk-fieldset__legend", modifier("nhsuk-fieldset__legend--", size, LEGEND_SIZES, classes), classes)
    legend_id = params.get("id", ABSENT)
    attributes = tag_attributes(design_system, params.get("attributes", ABSENT))
    if heading:
        return Markup(
            f'<legend class="{escape(names)}"'
            f'{f" id={chr(34)}{escape(one_line(legend_id))}{chr(34)}" if legend_id else ""}{attributes}>\n'
            f'<h1 class="nhsuk-fieldset__heading" >{_heading_content(text, text_depth)}</h1>\n{spaces(depth)}</legend>')
    return Markup(
        f'<legend class="{escape(names)}"{optional_attribute("id", legend_id)}{attributes}>'
        f'{_heading_content(text, text_depth)}</legend>')


FIELDSET_KEYS = frozenset({"legend", "html", "id", "role", "describedBy", "classes", "attributes"})


def fieldset_html(params: dict, design_system: DesignSystem, depth: int = 0) -> Markup:
    # nhsuk/components/fieldset/template.jinja, its output indented by `depth` (the date input
    # indents it; its html is then made for that depth)
    classes = classes_string(params.get("classes", ABSENT))
    legend = string_or_mapping(params.get("legend", ABSENT), LEGEND_KEYS)
    described_by = params.get("describedBy", ABSENT)
    html = params.get("html", ABSENT)
    inner = f"\n  {Markup(str(html).strip())}\n" if html else ""
    return Markup(
        f'<fieldset class="{escape("nhsuk-fieldset" + (" " + classes if classes else ""))}"'
        f'{optional_attribute("id", params.get("id", ABSENT))}{optional_attribute("role", params.get("role", ABSENT))}'
        f'{optional_attribute("aria-describedby", described_by if described_by else False)}'
        f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>'
        f'\n  {legend_html(legend, design_system, 2 + depth)}\n{inner}\n</fieldset>')


@component("hint", parameters=set(HINT_KEYS))
@with_the_templates_line_breaks(_classes_given)
@fallback_when_not_written_for
def hint(params, design_system: DesignSystem) -> Markup:
    return hint_html(nested(params, HINT_KEYS), design_system, 0)


@component("error-message", parameters=set(ERROR_MESSAGE_KEYS))
@with_the_templates_line_breaks(_classes_given)
@fallback_when_not_written_for
def error_message(params, design_system: DesignSystem) -> Markup:
    return error_message_html(nested(params, ERROR_MESSAGE_KEYS), design_system, 0)


@component("label", parameters=set(LABEL_KEYS))
@with_the_templates_line_breaks(after="\n")
@fallback_when_not_written_for
def label(params, design_system: DesignSystem) -> Markup:
    return label_html(nested(params, LABEL_KEYS), design_system, 0)


@component("legend", parameters=set(LEGEND_KEYS))
@with_the_templates_line_breaks(after="\n")
@fallback_when_not_written_for
def legend(params, design_system: DesignSystem) -> Markup:
    return legend_html(nested(params, LEGEND_KEYS), design_system, 0)


@component("fieldset", parameters=set(FIELDSET_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def fieldset(params, design_system: DesignSystem) -> Markup:
    return fieldset_html(nested(params, FIELDSET_KEYS), design_system)


# ---------------------------------------------------------------- radios

FORM_GROUP_KEYS = frozenset({"classes", "attributes"})
FIELDSET_PARAM_KEYS = frozenset({"legend", "describedBy", "id", "role", "classes", "attributes"})
CONDITIONAL_KEYS = frozenset({"html"})
RADIO_ITEM_KEYS = frozenset({"value", "text", "html", "checked", "id", "hint", "conditional", "divider",
                             "disabled", "classes", "attributes"})
RADIOS_KEYS = frozenset({"idPrefix", "name", "fieldset", "hint", "errorMessage", "items", "classes", "small",
                         "inline", "value", "disabled", "id", "attributes", "formGroup"})


def _items(params: dict) -> list:
    items = params.get("items", ABSENT)
    if items is ABSENT:
        return []
    if not isinstance(items, (list, tuple)):
        raise NotWrittenFor
    return items


def _choice_item(kind: str, params: dict, item: dict, index: int, id_prefix: str, described_by: str | None,
                 design_system: DesignSystem) -> str:
    """The radios template's _radioItem macro (kind "radios") or the checkboxes template's
    _checkboxItem (kind "checkboxes", with `described_by` the ids the item's input is described
    by when there is no fieldset, else None)."""
    checkbox = kind == "checkboxes"
    behaviour = item.get("behaviour", ABSENT) if checkbox else ABSENT
    not_supported_hidden = " nhsuk-u-frontend-not-supported-hidden" if behaviour == "inclusive" else ""
    if item.get("divider", ABSENT):
        return f'<div class="nhsuk-{kind}__divider{not_supported_hidden}">{out(item.get("divider", ABSENT))}</div>'
    item_hint = string_or_mapping(item.get("hint", ABSENT), HINT_KEYS)
    item_id = item.get("id", ABSENT)
    item_id = item_id if item_id else id_prefix + (f"-{index}" if index > 1 else "")
    one_line(item_id)
    checked = item.get("checked", ABSENT)
    value = item.get("value", ABSENT)
    if not checked:
        if checkbox:
            values = params.get("values", ABSENT)
            if values and not isinstance(values, (list, tuple)):
                raise NotWrittenFor
            checked = (value in values and checked != False) if values else False  # noqa: E712
        else:
            params_value = params.get("value", ABSENT)
            checked = (value == params_value and checked != False) if params_value else False  # noqa: E712
    has_hint = bool(item_hint.get("text", ABSENT) or item_hint.get("html", ABSENT))
    hint_id = default(item_hint.get("id", ABSENT), f"{item_id}-item-hint")
    if checkbox:
        hint_id = hint_id if has_hint else ""
        item_described_by = f"{described_by or ''} {concat(hint_id)}".strip()
        item_behaviour = "exclusive" if item.get("exclusive", ABSENT) else behaviour
        behaviour_group = default(item.get("exclusiveGroup", ABSENT), item.get("behaviourGroup", ABSENT))
        item_name = item.get("name", ABSENT)
        item_name = item_name if item_name else params.get("name", ABSENT)
    else:
        item_described_by = out(hint_id) if has_hint else ""
        item_behaviour = behaviour_group = None
        item_name = params.get("name", ABSENT)
    item_classes = classes_string(item.get("classes", ABSENT))
    disabled = item.get("disabled", ABSENT)
    conditional = nested(item.get("conditional", ABSENT), CONDITIONAL_KEYS)
    conditional_html = conditional.get("html", ABSENT)
    conditional_id = f"conditional-{item_id}"
    input_type = "checkbox" if checkbox else "radio"
    parts = [
        f'<div class="nhsuk-{kind}__item{not_supported_hidden}">\n'
        f'<input class="nhsuk-{kind}__input{" " + escape(item_classes) if item_classes else ""}"'
        f' id="{escape(item_id)}" name="{out(item_name)}" type="{input_type}" value="{out(value)}"',
        " checked" if checked else "",
        " disabled" if disabled or (disabled != False and params.get("disabled", ABSENT)) else "",  # noqa: E712
        f' data-behaviour="{out(item_behaviour)}"' if item_behaviour else "",
        f' data-behaviour-group="{out(behaviour_group)}"' if behaviour_group else "",
        f' data-aria-controls="{escape(conditional_id)}"' if conditional_html else "",
        # radios: whenever the item has a hint, even with an empty id; checkboxes: when there are ids
        f' aria-describedby="{escape(item_described_by)}"' if (has_hint if not checkbox else item_described_by) else "",
        tag_attributes(design_system, item.get("attributes", ABSENT)),
        ">\n",
        label_html({"html": item.get("html", ABSENT), "text": item.get("text", ABSENT), "for": item_id,
                    "classes": f"nhsuk-{kind}__label"}, design_system, 6),
    ]
    if has_hint:
        hint_classes = classes_string(item_hint.get("classes", ABSENT))
        parts += ["\n", hint_html({"html": item_hint.get("html", ABSENT), "text": item_hint.get("text", ABSENT),
                                   "id": default(item_hint.get("id", ABSENT), hint_id),
                                   "classes": f"nhsuk-{kind}__hint" + (f" {hint_classes}" if hint_classes else ""),
                                   "attributes": item_hint.get("attributes", ABSENT)}, design_system, 6)]
    parts.append("\n</div>")
    if conditional_html:
        hidden = "" if checked else f" nhsuk-{kind}__conditional--hidden"
        parts.append(f'\n<div class="nhsuk-{kind}__conditional{hidden}" id="{escape(conditional_id)}">'
                     f'\n      {Markup(str(conditional_html).strip())}\n    </div>')
    return "".join(parts)


# A radio item with nothing but its value, its words, whether it is checked and an id: most radios
# (the HNA's 0 to 10 scale, yes or no questions). `_plain_radio_item` prints exactly what
# `_choice_item` prints for one, without the general item's look-ups for every key the design
# system offers (a hint, conditional content, classes, attributes...): the eleven items of the
# distress scale were a third of that question page's own work.
PLAIN_RADIO_ITEM_KEYS = frozenset({"value", "text", "checked", "id"})


# What a plain radio item's label prints around its words: _heading_content(words, 6).
_PLAIN_LABEL_TEXT_BEFORE = f"\n\n\n{spaces(10)}"
_PLAIN_LABEL_TEXT_AFTER = f"\n{spaces(8)}\n\n\n{spaces(6)}"
# The types a plain item's values have when given (a missing key reads ABSENT): anything else may
# be Jinja's Undefined, which reads as ABSENT too.
_PLAIN_VALUE_TYPES = frozenset({str, int, bool, _Absent, Markup, type(None)})


def _plain_radio_item(item: dict, index: int, id_prefix: str, params_value, input_end: tuple[str, str]) -> str:
    """`_choice_item("radios", ...)` for an item of PLAIN_RADIO_ITEM_KEYS (a plain dict, not yet
    through `nested`): `params_value` is the radios' `value`, `input_end` what every input of the
    group ends with (its disabled attribute and the attributes macro's whitespace). Written for
    few calls (each value read and escaped once, in C where it is a plain string): it runs for
    every item of every scale."""
    item_id, checked, value, text = (item.get("id", ABSENT), item.get("checked", ABSENT),
                                     item.get("value", ABSENT), item.get("text", ABSENT))
    if type(item_id) not in _PLAIN_VALUE_TYPES:
        item_id = get(item, "id")
    if type(checked) not in _PLAIN_VALUE_TYPES:
        checked = get(item, "checked")
    if type(value) not in _PLAIN_VALUE_TYPES:
        value = get(item, "value")
    if type(text) not in _PLAIN_VALUE_TYPES:
        text = get(item, "text")
    if item_id is ABSENT or not item_id:
        item_id = id_prefix + (f"-{index}" if index > 1 else "")
    if type(item_id) is str:
        if LINE_BREAK.search(item_id):
            raise NotWrittenFor
        id_html = item_id.translate(HTML_ESCAPES)
        label_for = f' for="{id_html}"'
    else:
        one_line(item_id)
        id_html = escaped_text(item_id)
        label_for = optional_attribute("for", item_id)
    if checked is ABSENT or not checked:
        checked = ((value == params_value and checked != False)  # noqa: E712
                   if params_value is not ABSENT and params_value else False)
    # `content` of the label's text (no html: a plain item has none).
    label = ""
    if text is not ABSENT and text:
        words = indented(escaped_text(text).strip(), 8)
        label = (f'<label class="nhsuk-label nhsuk-radios__label"{label_for} >'
                 f'{_PLAIN_LABEL_TEXT_BEFORE}{words}{_PLAIN_LABEL_TEXT_AFTER}</label>')
    value_html = "" if value is ABSENT else escaped_text(value)
    return (f'<div class="nhsuk-radios__item">\n<input class="nhsuk-radios__input" id="{id_html}"'
            f'{input_end[0]}{value_html}"{" checked" if checked else ""}{input_end[1]}>\n{label}\n</div>')


def hint_and_error(hint_param: dict, error: dict, id_prefix: str, described_by: str,
                   design_system: DesignSystem, depth: int = 2) -> tuple[list[str], str]:
    """The hint and the error message a choice component prints above its inputs, and the ids
    they add to `aria-describedby`."""
    parts = []
    if hint_param.get("text", ABSENT) or hint_param.get("html", ABSENT):
        hint_id = default(hint_param.get("id", ABSENT), id_prefix + "-hint")
        described_by = f"{described_by} {concat(hint_id)}".strip()
        parts.append(hint_html({"html": hint_param.get("html", ABSENT), "text": hint_param.get("text", ABSENT),
                                "id": default(hint_param.get("id", ABSENT), hint_id), "classes": hint_param.get("classes", ABSENT),
                                "attributes": hint_param.get("attributes", ABSENT)}, design_system, depth))
    if error.get("text", ABSENT) or error.get("html", ABSENT):
        error_id = default(error.get("id", ABSENT), id_prefix + "-error")
        described_by = f"{described_by} {concat(error_id)}".strip()
        parts.append(error_message_html({"html": error.get("html", ABSENT), "text": error.get("text", ABSENT),
                                         "visuallyHiddenText": error.get("visuallyHiddenText", ABSENT),
                                         "id": default(error.get("id", ABSENT), error_id), "classes": error.get("classes", ABSENT),
                                         "attributes": error.get("attributes", ABSENT)}, design_system, depth))
    return parts, described_by


def form_group(classes: str, form_group_param: dict, fieldset_param, inner: str, described_by: str,
               design_system: DesignSystem) -> Markup:
    """The form group around a component, its inner HTML in a fieldset when one is given."""
    extra = classes_string(form_group_param.get("classes", ABSENT))
    if extra:
        classes += f" {extra}"
    if fieldset_param:
        fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS)
        inner = fieldset_html({"legend": fieldset_keys.get("legend", ABSENT), "html": Markup(inner),
                               "id": fieldset_keys.get("id", ABSENT), "role": fieldset_keys.get("role", ABSENT),
                               "describedBy": described_by, "classes": fieldset_keys.get("classes", ABSENT),
                               "attributes": fieldset_keys.get("attributes", ABSENT)}, design_system)
    return Markup(f'<div class="{escape(classes)}"'
                  f'{tag_attributes(design_system, form_group_param.get("attributes", ABSENT))}>'
                  f'\n{inner}\n</div>')


def _choices(kind: str, params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/radios/template.jinja and nhsuk/components/checkboxes/template.jinja
    checkbox = kind == "checkboxes"
    hint_param = string_or_mapping(params.get("hint", ABSENT), HINT_KEYS)
    error_param = params.get("errorMessage", ABSENT)
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    classes = classes_string(params.get("classes", ABSENT))
    form_group_param = nested(params.get("formGroup", ABSENT), FORM_GROUP_KEYS)
    fieldset_param = params.get("fieldset", ABSENT)
    fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS) if fieldset_param else {}
    class_names = f"nhsuk-{kind}"
    if params.get("small", ABSENT) and (not classes or f"nhsuk-{kind}--small" not in classes):
        class_names += f" nhsuk-{kind}--small"
    if params.get("inline", ABSENT) and (not classes or f"nhsuk-{kind}--inline" not in classes):
        class_names += f" nhsuk-{kind}--inline"
    group_classes = "nhsuk-form-group"
    if error.get("text", ABSENT) or error.get("html", ABSENT) or error_param == True:  # noqa: E712
        group_classes += " nhsuk-form-group--error"
    if classes:
        class_names += f" {classes}"
    id_prefix = params.get("idPrefix", ABSENT)
    id_prefix = concat(id_prefix if id_prefix else params.get("name", ABSENT))
    described_by = params.get("describedBy", ABSENT) if checkbox else ABSENT
    described_by = concat(described_by) if described_by else ""
    if fieldset_keys.get("describedBy", ABSENT):
        described_by = concat(fieldset_keys.get("describedBy", ABSENT))
    parts, described_by = hint_and_error(hint_param, error, id_prefix, described_by, design_system)
    parts.append(f'<div class="{escape(class_names)}"{optional_attribute("id", params.get("id", ABSENT))}'
                 f' data-module="nhsuk-{kind}"{tag_attributes(design_system, params.get("attributes", ABSENT))}>')
    item_keys = CHECKBOX_ITEM_KEYS if checkbox else RADIO_ITEM_KEYS
    item_described_by = described_by if checkbox and not fieldset_param else None
    # What every plain radio's input prints around its value, worked out once for the group.
    plain_input_end = (f' name="{out(params.get("name", ABSENT))}" type="radio" value="',
                       (" disabled" if params.get("disabled", ABSENT) else "") + " ")
    params_value = params.get("value", ABSENT)
    for index, item in enumerate(_items(params), start=1):
        if not item:
            continue
        if not checkbox and type(item) is dict and item.keys() <= PLAIN_RADIO_ITEM_KEYS:
            parts.append(_plain_radio_item(item, index, id_prefix, params_value, plain_input_end))
        else:
            parts.append(_choice_item(kind, params, nested(item, item_keys), index, id_prefix, item_described_by,
                                      design_system))
    parts.append("</div>")
    return form_group(group_classes, form_group_param, fieldset_param, "\n".join(parts), described_by, design_system)


@component("radios", parameters=set(RADIOS_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def radios(params, design_system: DesignSystem) -> Markup:
    return _choices("radios", params, design_system)


CHECKBOX_ITEM_KEYS = RADIO_ITEM_KEYS | {"name", "exclusive", "exclusiveGroup", "behaviour", "behaviourGroup"}
CHECKBOXES_KEYS = (RADIOS_KEYS - {"value"}) | {"values", "describedBy"}


@component("checkboxes", parameters=set(CHECKBOXES_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def checkboxes(params, design_system: DesignSystem) -> Markup:
    return _choices("checkboxes", params, design_system)


# ---------------------------------------------------------------- input, textarea, character count, select

def _labelled_parts(params: dict, design_system: DesignSystem, depth: int = 0) -> tuple:
    """What input, textarea and select work out first: the element's id (its name when it has
    none), what they print before the element (the label, the hint and the error message, each
    indented 2 in the template), the element's `aria-describedby`, and whether an error is shown."""
    described_by = params.get("describedBy", ABSENT)
    described_by = concat(described_by) if described_by else ""
    element_id = params.get("id", ABSENT)
    element_id = element_id if element_id else params.get("name", ABSENT)
    label_param = string_or_mapping(params.get("label", ABSENT), LABEL_KEYS)
    label_for = default(label_param.get("for", ABSENT), element_id)
    parts = [label_html({**label_param, "for": label_for}, design_system, depth + 2)]
    error_param = params.get("errorMessage", ABSENT)
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    hint_and_error_parts, described_by = hint_and_error(
        string_or_mapping(params.get("hint", ABSENT), HINT_KEYS), error, concat(element_id), described_by, design_system,
        depth + 2)
    parts += hint_and_error_parts
    has_error = bool(error.get("text", ABSENT) or error.get("html", ABSENT) or error_param == True)  # noqa: E712
    return element_id, parts, described_by, has_error


def _group_classes(params: dict, has_error: bool) -> str:
    classes = "nhsuk-form-group" + (" nhsuk-form-group--error" if has_error else "")
    extra = classes_string(get(nested(params.get("formGroup", ABSENT), FORM_GROUP_KEYS), "classes"))
    return classes + (f" {extra}" if extra else "")


def _group(params: dict, classes: str, parts: list[str], design_system: DesignSystem) -> Markup:
    form_group_param = nested(params.get("formGroup", ABSENT), FORM_GROUP_KEYS)
    return Markup(f'<div class="{escape(classes)}"'
                  f'{tag_attributes(design_system, form_group_param.get("attributes", ABSENT))}>'
                  f'\n' + "\n".join(parts) + "\n</div>")


INPUT_WIDTHS = ("2", "3", "4", "4", "5", "10", "20", "30")
INPUT_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "type", "value", "classes", "width", "large",
                        "code", "spellcheck", "disabled", "describedBy", "autocomplete", "autocapitalize", "pattern",
                        "placeholder", "inputmode", "attributes", "formGroup"})


def none_if_absent(value):
    return None if value is ABSENT else value


def input_html(params: dict, design_system: DesignSystem, depth: int = 0) -> Markup:
    # nhsuk/components/input/template.jinja without a prefix, suffix or input wrapper, its output
    # indented by `depth` (then every attribute value must be one line)
    classes = classes_string(params.get("classes", ABSENT))
    class_names = "nhsuk-input"
    if params.get("large", ABSENT) and (not classes or "nhsuk-input--large" not in classes):
        class_names += " nhsuk-input--large"
    if params.get("code", ABSENT) and (not classes or "nhsuk-input--code" not in classes):
        class_names += " nhsuk-input--code"
    element_id, parts, described_by, has_error = _labelled_parts(params, design_system, depth)
    if has_error:
        class_names += " nhsuk-input--error"
    width = params.get("width", ABSENT)
    if width_class := modifier("nhsuk-input--width-", str(width) if width else width, INPUT_WIDTHS, classes):
        class_names += f" {width_class}"
    if classes:
        class_names += f" {classes}"
    spellcheck = params.get("spellcheck", ABSENT)
    check = one_line if depth else _as_it_is
    # nhsukAttributes({"class": ..., "id": id, "name": ..., "type": ..., then optional ones}) as
    # the macro prints plain values: a value of another kind goes to the design system's template.
    pairs = [f' class="{escape(class_names)}"', _required_pair("id", check(element_id)),
             _required_pair("name", check(params.get("name", ABSENT))),
             _required_pair("type", check(params.get("type", ABSENT) or "text")),
             _optional_pair("spellcheck", str(spellcheck).lower() if spellcheck in (True, False) else False),
             _optional_pair("value", check(params.get("value", ABSENT))),
             _optional_pair("disabled", check(params.get("disabled", ABSENT))),
             _optional_pair("aria-describedby", check(described_by) if described_by else False)]
    for name in INPUT_OPTIONAL_ATTRIBUTES:
        pairs.append(_optional_pair(name, check(params.get(name, ABSENT))))
    parts.append(f'<input{"".join(pairs)}{tag_attributes(design_system, params.get("attributes", ABSENT))}>')
    return _group(params, _group_classes(params, has_error), parts, design_system)


INPUT_OPTIONAL_ATTRIBUTES = ("autocomplete", "autocapitalize", "pattern", "placeholder", "inputmode")


def _as_it_is(value):
    return value


def _required_pair(name: str, value) -> str:
    """nhsukAttributes' `name: value`: none prints an empty value, a boolean in lower case."""
    if value is ABSENT or value is None:
        return f' {name}=""'
    if hasattr(value, "__html__"):
        raise NotWrittenFor
    return f' {name}="{str(value).lower() if isinstance(value, bool) else escape(value)}"'


def _optional_pair(name: str, value) -> str:
    """nhsukAttributes' `name: {"value": value, "optional": true}`."""
    if value is ABSENT or value is None or value is False:
        return ""
    if value is True:
        return f" {name}"
    if hasattr(value, "__html__"):
        raise NotWrittenFor
    return f' {name}="{escape(value)}"'


@component("input", parameters=set(INPUT_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def input_(params, design_system: DesignSystem) -> Markup:
    return input_html(params, design_system)


TEXTAREA_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "rows", "value", "classes", "spellcheck",
                           "disabled", "describedBy", "autocomplete", "attributes", "formGroup"})


def textarea_html(params: dict, design_system: DesignSystem, extra_group_classes: str = "",
                  group_attributes: str = "", after_input: str = "") -> Markup:
    # nhsuk/components/textarea/template.jinja; the character count adds its form group classes
    # and attributes and prints its message after the textarea
    classes = classes_string(params.get("classes", ABSENT))
    element_id, parts, described_by, has_error = _labelled_parts(params, design_system)
    class_names = "nhsuk-textarea" + (" nhsuk-textarea--error" if has_error else "") + (f" {classes}" if classes else "")
    spellcheck = params.get("spellcheck", ABSENT)
    autocomplete = params.get("autocomplete", ABSENT)
    # The whitespace pass keeps a <textarea> start tag byte for byte: it is printed as the template does.
    parts.append(
        f'<textarea class="{escape(class_names)}" id="{out(element_id)}" name="{out(params.get("name", ABSENT))}"'
        f' rows="{escape(params.get("rows", ABSENT) or 5)}"'
        + (f' spellcheck="{escape(spellcheck)}"' if spellcheck in (True, False) else "")
        + (" disabled" if params.get("disabled", ABSENT) else "")
        + (f' aria-describedby="{escape(described_by)}"' if described_by else "")
        + (f' autocomplete="{escape(autocomplete)}"' if autocomplete else "")
        + f'{design_system.attributes(attributes_mapping(params.get("attributes", ABSENT)))}>{out(params.get("value", ABSENT))}</textarea>')
    if after_input:
        parts.append(after_input)
    group_classes = _group_classes(params, has_error) if not extra_group_classes else (
        "nhsuk-form-group" + (" nhsuk-form-group--error" if has_error else "") + f" {extra_group_classes}")
    if group_attributes:
        # the character count's attributes end with its (empty) form group attributes' whitespace
        return Markup(f'<div class="{escape(group_classes)}" {group_attributes} >\n' + "\n".join(parts) + "\n</div>")
    return _group(params, group_classes, parts, design_system)


@component("textarea", parameters=set(TEXTAREA_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def textarea(params, design_system: DesignSystem) -> Markup:
    return textarea_html(params, design_system)


CHARACTER_COUNT_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "rows", "value", "classes",
                                  "spellcheck", "disabled", "autocomplete", "attributes", "maxlength", "maxwords",
                                  "threshold"})


@component("character-count", parameters=set(CHARACTER_COUNT_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def character_count(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/character-count/template.jinja, with a limit given (maxlength or maxwords)
    # and the design system's own messages
    maxlength, maxwords = params.get("maxlength", ABSENT), params.get("maxwords", ABSENT)
    if not maxwords and not maxlength:
        raise NotWrittenFor
    classes = classes_string(params.get("classes", ABSENT))
    count_type = "words" if maxwords else None
    description = "You can enter up to %{count} " + ("words" if count_type == "words" else "characters")
    description = description.replace("%{count}", str(maxwords or maxlength))
    element_id = params.get("id", ABSENT)
    element_id = element_id if element_id else params.get("name", ABSENT)
    message = hint_html({"text": description, "id": f"{concat(element_id)}-info",
                         "classes": "nhsuk-character-count__message"}, design_system, 2)
    data = {"data-module": "nhsuk-character-count",
            "data-maxlength": {"value": none_if_absent(maxlength), "optional": True},
            "data-maxwords": {"value": none_if_absent(maxwords), "optional": True},
            "data-threshold": {"value": none_if_absent(params.get("threshold", ABSENT)), "optional": True},
            "data-count-type": {"value": count_type or False, "optional": True}}
    textarea_params = {key: get(params, key) for key in ("label", "hint", "errorMessage", "rows", "spellcheck",
                                                           "value", "disabled", "autocomplete", "attributes")}
    label_param = string_or_mapping(textarea_params["label"], LABEL_KEYS)
    textarea_params.update({
        "id": element_id, "name": params.get("name", ABSENT), "describedBy": f"{concat(element_id)}-info",
        "classes": "nhsuk-js-character-count" + (f" {classes}" if classes else ""),
        "label": {**label_param, "for": default(label_param.get("for", ABSENT), element_id)},
    })
    return textarea_html(textarea_params, design_system, "nhsuk-character-count",
                         mapped_attributes(design_system, data).strip(), message)


SELECT_ITEM_KEYS = frozenset({"value", "text", "selected", "disabled", "divider", "attributes"})
SELECT_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "items", "value", "classes", "disabled",
                         "describedBy", "attributes", "formGroup"})


@component("select", parameters=set(SELECT_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def select(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/select/template.jinja without an input wrapper
    classes = classes_string(params.get("classes", ABSENT))
    element_id, parts, described_by, has_error = _labelled_parts(params, design_system)
    class_names = "nhsuk-select" + (" nhsuk-select--error" if has_error else "") + (f" {classes}" if classes else "")
    params_value = params.get("value", ABSENT)
    options = [f'<select class="{escape(class_names)}" id="{out(element_id)}" name="{out(params.get("name", ABSENT))}"'
               + (" disabled" if params.get("disabled", ABSENT) else "")
               + (f' aria-describedby="{escape(described_by)}"' if described_by else "")
               + f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>']
    for item in _items(params):
        item = nested(item, SELECT_ITEM_KEYS) if item else item
        if item and item.get("divider", ABSENT):
            options.append("<hr>")
        elif item:
            value = item.get("value", ABSENT)
            effective_value = default(value, item.get("text", ABSENT))
            selected = item.get("selected", ABSENT)
            if not selected:
                selected = (effective_value == params_value and selected != False) if params_value else False  # noqa: E712
            options.append(
                "<option" + (f' value="{escape(value)}"' if value is not ABSENT else "")
                + (" selected" if selected else "") + (" disabled" if item.get("disabled", ABSENT) else "")
                + f'{tag_attributes(design_system, item.get("attributes", ABSENT))}>{out(item.get("text", ABSENT))}</option>')
    options.append("</select>")
    parts.append("\n".join(options))
    return _group(params, _group_classes(params, has_error), parts, design_system)


# ---------------------------------------------------------------- date input

DATE_ITEM_KEYS = frozenset({"id", "name", "label", "value", "width", "classes", "error", "type", "inputmode",
                            "spellcheck", "autocomplete", "autocapitalize", "pattern", "disabled", "describedBy",
                            "attributes"})
DATE_INPUT_KEYS = frozenset({"id", "namePrefix", "items", "fieldset", "hint", "errorMessage", "classes", "disabled",
                             "attributes", "formGroup"})
DATE_LABEL_KEYS = frozenset({"text", "html", "id", "for", "classes", "attributes"})


def _item_has_error(item) -> bool:
    classes = item.get("classes", ABSENT) if isinstance(item, dict) else ABSENT
    return bool((item.get("error", ABSENT) if isinstance(item, dict) else ABSENT)
                or (classes and "nhsuk-input--error" in classes))


@component("date-input", parameters=set(DATE_INPUT_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def date_input(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/date-input/template.jinja with its items given
    items = _items(params)
    if not items:
        raise NotWrittenFor  # the day, month and year made from `values`
    hint_param = string_or_mapping(params.get("hint", ABSENT), HINT_KEYS)
    error_param = params.get("errorMessage", ABSENT)
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    classes = classes_string(params.get("classes", ABSENT))
    fieldset_param = params.get("fieldset", ABSENT)
    fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS) if fieldset_param else {}
    # The template indents its fieldset by 2: everything in it is 2 deeper.
    base = 2 if fieldset_param else 0
    items = [nested(item, DATE_ITEM_KEYS) if item else item for item in items]
    for item in items:
        if item:
            classes_string(item.get("classes", ABSENT))
    any_item_error = any(_item_has_error(item) for item in items)
    group_error = bool(error.get("text", ABSENT) or error.get("html", ABSENT) or error_param == True or any_item_error)  # noqa: E712
    params_id = params.get("id", ABSENT)
    described_by = fieldset_keys.get("describedBy", ABSENT)
    parts, described_by = hint_and_error(hint_param, error, concat(params_id), concat(described_by) if described_by else "",
                                         design_system, base + 2)
    inputs = [f'<div class="nhsuk-date-input{" " + escape(classes) if classes else ""}"'
              f'{f" id={chr(34)}{escape(one_line(params_id))}{chr(34)}" if params_id else ""}'
              f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>']
    name_prefix = params.get("namePrefix", ABSENT)
    error_shown = error.get("text", ABSENT) or error.get("html", ABSENT) or error_param == True  # noqa: E712
    for item in items:
        if not item:
            continue
        item_label = string_or_mapping(item.get("label", ABSENT), DATE_LABEL_KEYS)
        item_name = item.get("name", ABSENT)
        item_classes = item.get("classes", ABSENT)
        item_width = default(item.get("width", ABSENT), 4 if item_name == "year" else 2)
        item_classes = f" {item_classes}".strip() if item_classes else ""
        label_classes = item_label.get("classes", ABSENT)
        text = default(item_label.get("text", ABSENT), item_name.capitalize() if isinstance(item_name, str) else ABSENT)
        if text is ABSENT and item_name is not ABSENT:
            raise NotWrittenFor  # a name that is not a string, capitalized
        item_error = item.get("error", ABSENT)
        shows_error = (not item.get("classes", ABSENT) or "nhsuk-input--error" not in item_classes) and (
            _item_has_error(item) or (item_error != False and error_shown and not any_item_error))  # noqa: E712
        item_id = item.get("id", ABSENT)
        inputs.append(
            '<div class="nhsuk-date-input__item">\n'
            + str(input_html({
                "label": {"html": item_label.get("html", ABSENT), "text": text, "id": item_label.get("id", ABSENT),
                          "for": item_label.get("for", ABSENT),
                          "classes": "nhsuk-date-input__label" + (f" {label_classes}" if label_classes else ""),
                          "attributes": item_label.get("attributes", ABSENT)},
                "errorMessage": shows_error,
                "id": item_id if item_id else f"{concat(params_id)}-{concat(item_name)}",
                "name": f"{concat(name_prefix)}[{concat(item_name)}]" if name_prefix else item_name,
                "value": item.get("value", ABSENT),
                "type": item.get("type", ABSENT) or "text",
                "width": item_width,
                "inputmode": item.get("inputmode", ABSENT) or "numeric",
                "spellcheck": item.get("spellcheck", ABSENT),
                "autocomplete": item.get("autocomplete", ABSENT),
                "autocapitalize": item.get("autocapitalize", ABSENT),
                "pattern": item.get("pattern", ABSENT),
                "disabled": default(item.get("disabled", ABSENT), params.get("disabled", ABSENT)),
                "describedBy": item.get("describedBy", ABSENT),
                "classes": f"nhsuk-date-input__input {item_classes}".strip(),
                "attributes": item.get("attributes", ABSENT),
            }, design_system, base + 6))
            + "\n</div>")
    inputs.append("</div>")
    parts.append("\n".join(inputs))
    inner = "\n".join(parts)
    group_classes = "nhsuk-form-group" + (" nhsuk-form-group--error" if group_error else "")
    form_group_param = nested(params.get("formGroup", ABSENT), FORM_GROUP_KEYS)
    extra = classes_string(form_group_param.get("classes", ABSENT))
    if extra:
        group_classes += f" {extra}"
    if fieldset_param:
        inner = fieldset_html({"legend": fieldset_keys.get("legend", ABSENT), "html": Markup(inner),
                               "id": fieldset_keys.get("id", ABSENT), "role": default(fieldset_keys.get("role", ABSENT), "group"),
                               "describedBy": described_by, "classes": fieldset_keys.get("classes", ABSENT),
                               "attributes": fieldset_keys.get("attributes", ABSENT)}, design_system, 2)
    return Markup(f'<div class="{escape(group_classes)}"'
                  f'{tag_attributes(design_system, form_group_param.get("attributes", ABSENT))}>'
                  f'\n{inner}\n</div>')


# ---------------------------------------------------------------- error summary

ERROR_SUMMARY_KEYS = frozenset({"titleText", "titleHtml", "heading", "descriptionText", "descriptionHtml",
                                "description", "errorList", "classes", "id", "attributes", "disableAutoFocus"})
ERROR_SUMMARY_HEADING_KEYS = frozenset({"text", "html", "id", "attributes"})
ERROR_SUMMARY_DESCRIPTION_KEYS = frozenset({"text", "html"})
ERROR_ITEM_KEYS = frozenset({"text", "html", "href", "attributes"})


def _string_or_mapping_else(value, keys: frozenset[str], text, html) -> dict:
    """The error summary's "support as string (with deprecated options)"."""
    if isinstance(value, abc.Mapping):
        return nested(value, keys)
    if hasattr(value, "__html__") and not isinstance(value, str):
        raise NotWrittenFor
    return {"text": value if isinstance(value, str) else text,
            "html": value if isinstance(value, Markup) else html}


@component("error-summary", parameters=set(ERROR_SUMMARY_KEYS))
@with_the_templates_line_breaks()
@fallback_when_not_written_for
def error_summary(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/error-summary/template.jinja
    heading = _string_or_mapping_else(params.get("heading", ABSENT), ERROR_SUMMARY_HEADING_KEYS,
                                      params.get("titleText", ABSENT), params.get("titleHtml", ABSENT))
    description = _string_or_mapping_else(params.get("description", ABSENT), ERROR_SUMMARY_DESCRIPTION_KEYS,
                                          params.get("descriptionText", ABSENT), params.get("descriptionHtml", ABSENT))
    classes = classes_string(params.get("classes", ABSENT))
    auto_focus = params.get("disableAutoFocus", ABSENT)
    attributes = {"class": "nhsuk-error-summary" + (f" {classes}" if classes else ""),
                  "id": {"value": none_if_absent(params.get("id", ABSENT)), "optional": True},
                  "data-module": "nhsuk-error-summary",
                  "data-disable-auto-focus": {"value": str(auto_focus).lower() if auto_focus in (True, False) else False,
                                              "optional": True}}
    parts = [f'<div{mapped_attributes(design_system, attributes)}'
             f'{tag_attributes(design_system, params.get("attributes", ABSENT))}>\n<div role="alert">']
    heading_text = content(heading, 6)
    if heading_text is not None:
        parts.append(f'<h2 class="nhsuk-error-summary__heading"{optional_attribute("id", heading.get("id", ABSENT))}'
                     f'{tag_attributes(design_system, heading.get("attributes", ABSENT))}>'
                     f'{_heading_content(heading_text, 4)}</h2>')
    parts.append('<div class="nhsuk-error-summary__body">')
    description_text = content(description, 8)
    if description.get("text", ABSENT) or description.get("html", ABSENT):
        parts.append(f"<p>\n      \n        {description_text or ''}\n      \n      </p>")
    error_list = params.get("errorList", ABSENT)
    if error_list is not ABSENT and not isinstance(error_list, (list, tuple)):
        raise NotWrittenFor
    if error_list:
        parts.append('<ul class="nhsuk-list nhsuk-error-summary__list">')
        for item in error_list:
            if not item:
                continue
            item = nested(item, ERROR_ITEM_KEYS)
            href = item.get("href", ABSENT)
            if href:
                text = content(item, 12)
                parts.append(f'<li>\n<a href="{escape(href)}"'
                             f'{tag_attributes(design_system, item.get("attributes", ABSENT))}>'
                             + (f"\n          \n            {text}\n          \n          " if text is not None
                                else "\n          \n          ")
                             + "</a>\n</li>")
            else:
                text = content(item, 10)
                parts.append("<li>" + (f"\n        \n          {text}\n        \n        " if text is not None
                                        else "\n        \n        ") + "</li>")
        parts.append("</ul>")
    parts.append("</div>\n</div>\n</div>")
    return Markup("\n".join(parts))
