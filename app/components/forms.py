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
from jinja2.filters import do_indent
from markupsafe import Markup, escape

from . import DesignSystem, component


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
            return function(params, design_system)
        except NotWrittenFor:
            return None
    return rendered


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
    return value


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
    if isinstance(value, str) and value and value.splitlines() != [value]:
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


def content(params: dict, indent: int) -> Markup | None:
    """`params.html | safe`, else `params.text` escaped, trimmed and indented; None when neither is
    given (or both are empty)."""
    html = get(params, "html")
    if html:
        return do_indent(Markup(str(html).strip()), indent)
    text = get(params, "text")
    if text:
        return do_indent(escape(text).strip(), indent)
    return None


def spaces(count: int) -> str:
    return " " * count


# ---------------------------------------------------------------- the parts form components share

HINT_KEYS = frozenset({"text", "html", "id", "classes", "attributes"})


def hint_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/hint/template.jinja, its output indented by `depth`
    classes = classes_string(get(params, "classes"))
    hint_id = get(params, "id")
    text = content(params, 2 + depth)
    return Markup(
        f'<div class="nhsuk-hint{" " + classes if classes else ""}"'
        f'{f" id={chr(34)}{escape(one_line(hint_id))}{chr(34)}" if hint_id else ""}'
        f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>'
        f'\n\n{spaces(2 + depth) + text if text is not None else ""}\n\n{spaces(depth)}</div>')


ERROR_MESSAGE_KEYS = frozenset({"text", "html", "id", "classes", "attributes", "visuallyHiddenText"})


def error_message_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/error-message/template.jinja, its output indented by `depth`
    classes = classes_string(get(params, "classes"))
    error_id = get(params, "id")
    hidden = default(get(params, "visuallyHiddenText"), "Error")
    text = content(params, 2 + depth) or ""
    hidden_html = f'<span class="nhsuk-u-visually-hidden">{escape(one_line(hidden))}: </span>' if hidden else ""
    return Markup(
        f'<span class="nhsuk-error-message{" " + classes if classes else ""}"'
        f'{f" id={chr(34)}{escape(one_line(error_id))}{chr(34)}" if error_id else ""}'
        f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>'
        f'\n{spaces(2 + depth)}\n{spaces(2 + depth)}{hidden_html}{text}\n{spaces(2 + depth)}\n{spaces(depth)}</span>')


def _heading_content(text: Markup, depth: int) -> str:
    """The text of nhsuk/components/heading/template.jinja without a visually hidden part or a
    caption, the heading's own output indented by `depth`."""
    return f"\n\n\n{spaces(4 + depth)}{text}\n{spaces(2 + depth)}\n\n\n{spaces(depth)}"


LABEL_SIZES = ("s", "m", "l", "xl")
HEADING_SIZES = ("xxs", "xs", "s", "m", "l", "xl")
LABEL_KEYS = frozenset({"text", "html", "for", "id", "classes", "size", "isPageHeading", "attributes"})


def _page_heading(params: dict) -> bool:
    # `(params.isPageHeading and heading != false) or (params.isPageHeading != false and heading)`
    # with no `heading` given
    return bool(get(params, "isPageHeading"))


def label_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/label/template.jinja (through nhsuk/components/heading/template.jinja),
    # its output indented by `depth`; nothing when it has no text
    classes = classes_string(get(params, "classes"))
    size = get(params, "size")
    if not (size is ABSENT or size is None or isinstance(size, str)):
        raise NotWrittenFor
    heading = _page_heading(params)
    label_depth = depth + 2 if heading else depth
    text = content(params, 2 + label_depth)
    if text is None:
        return Markup("")
    class_names = "nhsuk-label"
    if size and size in LABEL_SIZES and (
            not classes or not any(f"nhsuk-label--{known}" in classes for known in HEADING_SIZES)):
        class_names += f" nhsuk-label--{size}"
    if classes:
        class_names += f" {classes}"
    label = Markup(
        f'<label class="{escape(class_names)}"{optional_attribute("id", get(params, "id"))}'
        f'{optional_attribute("for", get(params, "for"))}'
        f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>'
        f'{_heading_content(text, label_depth)}</label>')
    if heading:
        return Markup(f'<h1 class="nhsuk-label-wrapper" >\n{label}\n{spaces(depth)}</h1>')
    return label


LEGEND_SIZES = ("s", "m", "l", "xl")
LEGEND_KEYS = frozenset({"text", "html", "id", "classes", "size", "isPageHeading", "attributes"})


def legend_html(params: dict, design_system: DesignSystem, depth: int) -> Markup:
    # nhsuk/components/legend/template.jinja (through nhsuk/components/heading/template.jinja),
    # its output indented by `depth`; nothing when it has no text
    classes = classes_string(get(params, "classes"))
    size = get(params, "size")
    if not (size is ABSENT or size is None or isinstance(size, str)):
        raise NotWrittenFor
    heading = _page_heading(params)
    text_depth = depth + 2 if heading else depth
    text = content(params, 2 + text_depth)
    if text is None:
        return Markup("")
    class_names = "nhsuk-fieldset__legend"
    if size and size in LEGEND_SIZES and (
            not classes or not any(f"nhsuk-fieldset__legend--{known}" in classes for known in LEGEND_SIZES)):
        class_names += f" nhsuk-fieldset__legend--{size}"
    if classes:
        class_names += f" {classes}"
    legend_id = get(params, "id")
    attributes = design_system.attributes(attributes_mapping(get(params, "attributes")))
    if heading:
        return Markup(
            f'<legend class="{escape(class_names)}"'
            f'{f" id={chr(34)}{escape(one_line(legend_id))}{chr(34)}" if legend_id else ""}{attributes}>\n'
            f'<h1 class="nhsuk-fieldset__heading" >{_heading_content(text, text_depth)}</h1>\n{spaces(depth)}</legend>')
    return Markup(
        f'<legend class="{escape(class_names)}"{optional_attribute("id", legend_id)}{attributes}>'
        f'{_heading_content(text, text_depth)}</legend>')


FIELDSET_KEYS = frozenset({"legend", "html", "id", "role", "describedBy", "classes", "attributes"})


def fieldset_html(params: dict, design_system: DesignSystem, depth: int = 0) -> Markup:
    # nhsuk/components/fieldset/template.jinja, its output indented by `depth` (the date input
    # indents it; its html is then made for that depth)
    classes = classes_string(get(params, "classes"))
    legend = string_or_mapping(get(params, "legend"), LEGEND_KEYS)
    described_by = get(params, "describedBy")
    html = get(params, "html")
    inner = f"\n  {Markup(str(html).strip())}\n" if html else ""
    return Markup(
        f'<fieldset class="{escape("nhsuk-fieldset" + (" " + classes if classes else ""))}"'
        f'{optional_attribute("id", get(params, "id"))}{optional_attribute("role", get(params, "role"))}'
        f'{optional_attribute("aria-describedby", described_by if described_by else False)}'
        f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>'
        f'\n  {legend_html(legend, design_system, 2 + depth)}\n{inner}\n</fieldset>')


@component("hint", parameters=set(HINT_KEYS))
@fallback_when_not_written_for
def hint(params, design_system: DesignSystem) -> Markup:
    return hint_html(nested(params, HINT_KEYS), design_system, 0)


@component("error-message", parameters=set(ERROR_MESSAGE_KEYS))
@fallback_when_not_written_for
def error_message(params, design_system: DesignSystem) -> Markup:
    return error_message_html(nested(params, ERROR_MESSAGE_KEYS), design_system, 0)


@component("label", parameters=set(LABEL_KEYS))
@fallback_when_not_written_for
def label(params, design_system: DesignSystem) -> Markup:
    return label_html(nested(params, LABEL_KEYS), design_system, 0)


@component("legend", parameters=set(LEGEND_KEYS))
@fallback_when_not_written_for
def legend(params, design_system: DesignSystem) -> Markup:
    return legend_html(nested(params, LEGEND_KEYS), design_system, 0)


@component("fieldset", parameters=set(FIELDSET_KEYS))
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
    items = get(params, "items")
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
    behaviour = get(item, "behaviour") if checkbox else ABSENT
    not_supported_hidden = " nhsuk-u-frontend-not-supported-hidden" if behaviour == "inclusive" else ""
    if get(item, "divider"):
        return f'<div class="nhsuk-{kind}__divider{not_supported_hidden}">{out(get(item, "divider"))}</div>'
    item_hint = string_or_mapping(get(item, "hint"), HINT_KEYS)
    item_id = get(item, "id")
    item_id = item_id if item_id else id_prefix + (f"-{index}" if index > 1 else "")
    one_line(item_id)
    checked = get(item, "checked")
    value = get(item, "value")
    if not checked:
        if checkbox:
            values = get(params, "values")
            if values and not isinstance(values, (list, tuple)):
                raise NotWrittenFor
            checked = (value in values and checked != False) if values else False  # noqa: E712
        else:
            params_value = get(params, "value")
            checked = (value == params_value and checked != False) if params_value else False  # noqa: E712
    has_hint = bool(get(item_hint, "text") or get(item_hint, "html"))
    hint_id = default(get(item_hint, "id"), f"{item_id}-item-hint")
    if checkbox:
        hint_id = hint_id if has_hint else ""
        item_described_by = f"{described_by or ''} {concat(hint_id)}".strip()
        item_behaviour = "exclusive" if get(item, "exclusive") else behaviour
        behaviour_group = default(get(item, "exclusiveGroup"), get(item, "behaviourGroup"))
        item_name = get(item, "name")
        item_name = item_name if item_name else get(params, "name")
    else:
        item_described_by = out(hint_id) if has_hint else ""
        item_behaviour = behaviour_group = None
        item_name = get(params, "name")
    item_classes = classes_string(get(item, "classes"))
    disabled = get(item, "disabled")
    conditional = nested(get(item, "conditional"), CONDITIONAL_KEYS)
    conditional_html = get(conditional, "html")
    conditional_id = f"conditional-{item_id}"
    input_type = "checkbox" if checkbox else "radio"
    parts = [
        f'<div class="nhsuk-{kind}__item{not_supported_hidden}">\n'
        f'<input class="nhsuk-{kind}__input{" " + item_classes if item_classes else ""}"'
        f' id="{escape(item_id)}" name="{out(item_name)}" type="{input_type}" value="{out(value)}"',
        " checked" if checked else "",
        " disabled" if disabled or (disabled != False and get(params, "disabled")) else "",  # noqa: E712
        f' data-behaviour="{out(item_behaviour)}"' if item_behaviour else "",
        f' data-behaviour-group="{out(behaviour_group)}"' if behaviour_group else "",
        f' data-aria-controls="{escape(conditional_id)}"' if conditional_html else "",
        # radios: whenever the item has a hint, even with an empty id; checkboxes: when there are ids
        f' aria-describedby="{escape(item_described_by)}"' if (has_hint if not checkbox else item_described_by) else "",
        design_system.attributes(attributes_mapping(get(item, "attributes"))),
        ">\n",
        label_html({"html": get(item, "html"), "text": get(item, "text"), "for": item_id,
                    "classes": f"nhsuk-{kind}__label"}, design_system, 6),
    ]
    if has_hint:
        hint_classes = classes_string(get(item_hint, "classes"))
        parts += ["\n", hint_html({"html": get(item_hint, "html"), "text": get(item_hint, "text"),
                                   "id": default(get(item_hint, "id"), hint_id),
                                   "classes": f"nhsuk-{kind}__hint" + (f" {hint_classes}" if hint_classes else ""),
                                   "attributes": get(item_hint, "attributes")}, design_system, 6)]
    parts.append("\n</div>")
    if conditional_html:
        hidden = "" if checked else f" nhsuk-{kind}__conditional--hidden"
        parts.append(f'\n<div class="nhsuk-{kind}__conditional{hidden}" id="{escape(conditional_id)}">'
                     f'\n      {Markup(str(conditional_html).strip())}\n    </div>')
    return "".join(parts)


def hint_and_error(hint_param: dict, error: dict, id_prefix: str, described_by: str,
                   design_system: DesignSystem, depth: int = 2) -> tuple[list[str], str]:
    """The hint and the error message a choice component prints above its inputs, and the ids
    they add to `aria-describedby`."""
    parts = []
    if get(hint_param, "text") or get(hint_param, "html"):
        hint_id = default(get(hint_param, "id"), id_prefix + "-hint")
        described_by = f"{described_by} {concat(hint_id)}".strip()
        parts.append(hint_html({"html": get(hint_param, "html"), "text": get(hint_param, "text"),
                                "id": default(get(hint_param, "id"), hint_id), "classes": get(hint_param, "classes"),
                                "attributes": get(hint_param, "attributes")}, design_system, depth))
    if get(error, "text") or get(error, "html"):
        error_id = default(get(error, "id"), id_prefix + "-error")
        described_by = f"{described_by} {concat(error_id)}".strip()
        parts.append(error_message_html({"html": get(error, "html"), "text": get(error, "text"),
                                         "visuallyHiddenText": get(error, "visuallyHiddenText"),
                                         "id": default(get(error, "id"), error_id), "classes": get(error, "classes"),
                                         "attributes": get(error, "attributes")}, design_system, depth))
    return parts, described_by


def form_group(classes: str, form_group_param: dict, fieldset_param, inner: str, described_by: str,
               design_system: DesignSystem) -> Markup:
    """The form group around a component, its inner HTML in a fieldset when one is given."""
    extra = classes_string(get(form_group_param, "classes"))
    if extra:
        classes += f" {extra}"
    if fieldset_param:
        fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS)
        inner = fieldset_html({"legend": get(fieldset_keys, "legend"), "html": Markup(inner),
                               "id": get(fieldset_keys, "id"), "role": get(fieldset_keys, "role"),
                               "describedBy": described_by, "classes": get(fieldset_keys, "classes"),
                               "attributes": get(fieldset_keys, "attributes")}, design_system)
    return Markup(f'<div class="{escape(classes)}"'
                  f'{design_system.attributes(attributes_mapping(get(form_group_param, "attributes")))}>'
                  f'\n{inner}\n</div>')


def _choices(kind: str, params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/radios/template.jinja and nhsuk/components/checkboxes/template.jinja
    checkbox = kind == "checkboxes"
    hint_param = string_or_mapping(get(params, "hint"), HINT_KEYS)
    error_param = get(params, "errorMessage")
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    classes = classes_string(get(params, "classes"))
    form_group_param = nested(get(params, "formGroup"), FORM_GROUP_KEYS)
    fieldset_param = get(params, "fieldset")
    fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS) if fieldset_param else {}
    class_names = f"nhsuk-{kind}"
    if get(params, "small") and (not classes or f"nhsuk-{kind}--small" not in classes):
        class_names += f" nhsuk-{kind}--small"
    if get(params, "inline") and (not classes or f"nhsuk-{kind}--inline" not in classes):
        class_names += f" nhsuk-{kind}--inline"
    group_classes = "nhsuk-form-group"
    if get(error, "text") or get(error, "html") or error_param == True:  # noqa: E712
        group_classes += " nhsuk-form-group--error"
    if classes:
        class_names += f" {classes}"
    id_prefix = get(params, "idPrefix")
    id_prefix = concat(id_prefix if id_prefix else get(params, "name"))
    described_by = get(params, "describedBy") if checkbox else ABSENT
    described_by = concat(described_by) if described_by else ""
    if get(fieldset_keys, "describedBy"):
        described_by = concat(get(fieldset_keys, "describedBy"))
    parts, described_by = hint_and_error(hint_param, error, id_prefix, described_by, design_system)
    parts.append(f'<div class="{escape(class_names)}"{optional_attribute("id", get(params, "id"))}'
                 f' data-module="nhsuk-{kind}"{design_system.attributes(attributes_mapping(get(params, "attributes")))}>')
    item_keys = CHECKBOX_ITEM_KEYS if checkbox else RADIO_ITEM_KEYS
    item_described_by = described_by if checkbox and not fieldset_param else None
    for index, item in enumerate(_items(params), start=1):
        if item:
            parts.append(_choice_item(kind, params, nested(item, item_keys), index, id_prefix, item_described_by,
                                      design_system))
    parts.append("</div>")
    return form_group(group_classes, form_group_param, fieldset_param, "\n".join(parts), described_by, design_system)


@component("radios", parameters=set(RADIOS_KEYS))
@fallback_when_not_written_for
def radios(params, design_system: DesignSystem) -> Markup:
    return _choices("radios", params, design_system)


CHECKBOX_ITEM_KEYS = RADIO_ITEM_KEYS | {"name", "exclusive", "exclusiveGroup", "behaviour", "behaviourGroup"}
CHECKBOXES_KEYS = (RADIOS_KEYS - {"value"}) | {"values", "describedBy"}


@component("checkboxes", parameters=set(CHECKBOXES_KEYS))
@fallback_when_not_written_for
def checkboxes(params, design_system: DesignSystem) -> Markup:
    return _choices("checkboxes", params, design_system)


# ---------------------------------------------------------------- input, textarea, character count, select

def _labelled_parts(params: dict, element_id, described_by: str, design_system: DesignSystem,
                    depth: int = 0) -> tuple[list[str], str, bool]:
    """What input, textarea and select print before their element: the label, the hint and the
    error message (each indented 2 in the template), the element's `aria-describedby`, and
    whether an error is shown."""
    label_param = string_or_mapping(get(params, "label"), LABEL_KEYS)
    label_for = default(get(label_param, "for"), element_id)
    parts = [label_html({**label_param, "for": label_for}, design_system, depth + 2)]
    error_param = get(params, "errorMessage")
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    hint_and_error_parts, described_by = hint_and_error(
        string_or_mapping(get(params, "hint"), HINT_KEYS), error, concat(element_id), described_by, design_system,
        depth + 2)
    parts += hint_and_error_parts
    has_error = bool(get(error, "text") or get(error, "html") or error_param == True)  # noqa: E712
    return parts, described_by, has_error


def _group_classes(params: dict, has_error: bool) -> str:
    classes = "nhsuk-form-group" + (" nhsuk-form-group--error" if has_error else "")
    extra = classes_string(get(nested(get(params, "formGroup"), FORM_GROUP_KEYS), "classes"))
    return classes + (f" {extra}" if extra else "")


def _group(params: dict, classes: str, parts: list[str], design_system: DesignSystem) -> Markup:
    form_group_param = nested(get(params, "formGroup"), FORM_GROUP_KEYS)
    return Markup(f'<div class="{escape(classes)}"'
                  f'{design_system.attributes(attributes_mapping(get(form_group_param, "attributes")))}>'
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
    classes = classes_string(get(params, "classes"))
    class_names = "nhsuk-input"
    if get(params, "large") and (not classes or "nhsuk-input--large" not in classes):
        class_names += " nhsuk-input--large"
    if get(params, "code") and (not classes or "nhsuk-input--code" not in classes):
        class_names += " nhsuk-input--code"
    described_by = get(params, "describedBy")
    element_id = get(params, "id")
    element_id = element_id if element_id else get(params, "name")
    parts, described_by, has_error = _labelled_parts(params, element_id, concat(described_by) if described_by else "",
                                                     design_system, depth)
    if has_error:
        class_names += " nhsuk-input--error"
    width = get(params, "width")
    if width and str(width) in INPUT_WIDTHS and (
            not classes or not any(f"nhsuk-input--width-{known}" in classes for known in INPUT_WIDTHS)):
        class_names += f" nhsuk-input--width-{width}"
    if classes:
        class_names += f" {classes}"
    spellcheck = get(params, "spellcheck")
    attributes = {
        "class": class_names,
        "id": none_if_absent(element_id),
        "name": none_if_absent(get(params, "name")),
        "type": get(params, "type") or "text",
        "spellcheck": {"value": str(spellcheck).lower() if spellcheck in (True, False) else False, "optional": True},
        "value": {"value": none_if_absent(get(params, "value")), "optional": True},
        "disabled": {"value": none_if_absent(get(params, "disabled")), "optional": True},
        "aria-describedby": {"value": described_by if described_by else False, "optional": True},
    }
    for name in ("autocomplete", "autocapitalize", "pattern", "placeholder", "inputmode"):
        attributes[name] = {"value": none_if_absent(get(params, name)), "optional": True}
    if depth:
        attributes_mapping(attributes)
    parts.append(f'<input{design_system.attributes(attributes)}'
                 f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>')
    return _group(params, _group_classes(params, has_error), parts, design_system)


@component("input", parameters=set(INPUT_KEYS))
@fallback_when_not_written_for
def input_(params, design_system: DesignSystem) -> Markup:
    return input_html(params, design_system)


TEXTAREA_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "rows", "value", "classes", "spellcheck",
                           "disabled", "describedBy", "autocomplete", "attributes", "formGroup"})


def textarea_html(params: dict, design_system: DesignSystem, extra_group_classes: str = "",
                  group_attributes: str = "", after_input: str = "") -> Markup:
    # nhsuk/components/textarea/template.jinja; the character count adds its form group classes
    # and attributes and prints its message after the textarea
    classes = classes_string(get(params, "classes"))
    described_by = get(params, "describedBy")
    element_id = get(params, "id")
    element_id = element_id if element_id else get(params, "name")
    parts, described_by, has_error = _labelled_parts(params, element_id, concat(described_by) if described_by else "",
                                                     design_system)
    class_names = "nhsuk-textarea" + (" nhsuk-textarea--error" if has_error else "") + (f" {classes}" if classes else "")
    spellcheck = get(params, "spellcheck")
    autocomplete = get(params, "autocomplete")
    # The whitespace pass keeps a <textarea> start tag byte for byte: it is printed as the template does.
    parts.append(
        f'<textarea class="{escape(class_names)}" id="{out(element_id)}" name="{out(get(params, "name"))}"'
        f' rows="{escape(get(params, "rows") or 5)}"'
        + (f' spellcheck="{escape(spellcheck)}"' if spellcheck in (True, False) else "")
        + (" disabled" if get(params, "disabled") else "")
        + (f' aria-describedby="{escape(described_by)}"' if described_by else "")
        + (f' autocomplete="{escape(autocomplete)}"' if autocomplete else "")
        + f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>{out(get(params, "value"))}</textarea>')
    if after_input:
        parts.append(after_input)
    group_classes = _group_classes(params, has_error) if not extra_group_classes else (
        "nhsuk-form-group" + (" nhsuk-form-group--error" if has_error else "") + f" {extra_group_classes}")
    if group_attributes:
        # the character count's attributes end with its (empty) form group attributes' whitespace
        return Markup(f'<div class="{escape(group_classes)}" {group_attributes} >\n' + "\n".join(parts) + "\n</div>")
    return _group(params, group_classes, parts, design_system)


@component("textarea", parameters=set(TEXTAREA_KEYS))
@fallback_when_not_written_for
def textarea(params, design_system: DesignSystem) -> Markup:
    return textarea_html(params, design_system)


CHARACTER_COUNT_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "rows", "value", "classes",
                                  "spellcheck", "disabled", "autocomplete", "attributes", "maxlength", "maxwords",
                                  "threshold"})


@component("character-count", parameters=set(CHARACTER_COUNT_KEYS))
@fallback_when_not_written_for
def character_count(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/character-count/template.jinja, with a limit given (maxlength or maxwords)
    # and the design system's own messages
    maxlength, maxwords = get(params, "maxlength"), get(params, "maxwords")
    if not maxwords and not maxlength:
        raise NotWrittenFor
    classes = classes_string(get(params, "classes"))
    count_type = "words" if maxwords else None
    description = "You can enter up to %{count} " + ("words" if count_type == "words" else "characters")
    description = description.replace("%{count}", str(maxwords or maxlength))
    element_id = get(params, "id")
    element_id = element_id if element_id else get(params, "name")
    message = hint_html({"text": description, "id": f"{concat(element_id)}-info",
                         "classes": "nhsuk-character-count__message"}, design_system, 2)
    data = {"data-module": "nhsuk-character-count",
            "data-maxlength": {"value": none_if_absent(maxlength), "optional": True},
            "data-maxwords": {"value": none_if_absent(maxwords), "optional": True},
            "data-threshold": {"value": none_if_absent(get(params, "threshold")), "optional": True},
            "data-count-type": {"value": count_type or False, "optional": True}}
    textarea_params = {key: get(params, key) for key in ("label", "hint", "errorMessage", "rows", "spellcheck",
                                                           "value", "disabled", "autocomplete", "attributes")}
    label_param = string_or_mapping(textarea_params["label"], LABEL_KEYS)
    textarea_params.update({
        "id": element_id, "name": get(params, "name"), "describedBy": f"{concat(element_id)}-info",
        "classes": "nhsuk-js-character-count" + (f" {classes}" if classes else ""),
        "label": {**label_param, "for": default(get(label_param, "for"), element_id)},
    })
    return textarea_html(textarea_params, design_system, "nhsuk-character-count",
                         str(design_system.attributes(data)).strip(), message)


SELECT_ITEM_KEYS = frozenset({"value", "text", "selected", "disabled", "divider", "attributes"})
SELECT_KEYS = frozenset({"label", "hint", "errorMessage", "id", "name", "items", "value", "classes", "disabled",
                         "describedBy", "attributes", "formGroup"})


@component("select", parameters=set(SELECT_KEYS))
@fallback_when_not_written_for
def select(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/select/template.jinja without an input wrapper
    classes = classes_string(get(params, "classes"))
    described_by = get(params, "describedBy")
    element_id = get(params, "id")
    element_id = element_id if element_id else get(params, "name")
    parts, described_by, has_error = _labelled_parts(params, element_id, concat(described_by) if described_by else "",
                                                     design_system)
    class_names = "nhsuk-select" + (" nhsuk-select--error" if has_error else "") + (f" {classes}" if classes else "")
    params_value = get(params, "value")
    options = [f'<select class="{escape(class_names)}" id="{out(element_id)}" name="{out(get(params, "name"))}"'
               + (" disabled" if get(params, "disabled") else "")
               + (f' aria-describedby="{escape(described_by)}"' if described_by else "")
               + f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>']
    for item in _items(params):
        item = nested(item, SELECT_ITEM_KEYS) if item else item
        if item and get(item, "divider"):
            options.append("<hr>")
        elif item:
            value = get(item, "value")
            effective_value = default(value, get(item, "text"))
            selected = get(item, "selected")
            if not selected:
                selected = (effective_value == params_value and selected != False) if params_value else False  # noqa: E712
            options.append(
                "<option" + (f' value="{escape(value)}"' if value is not ABSENT else "")
                + (" selected" if selected else "") + (" disabled" if get(item, "disabled") else "")
                + f'{design_system.attributes(attributes_mapping(get(item, "attributes")))}>{out(get(item, "text"))}</option>')
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
    classes = get(item, "classes") if isinstance(item, dict) else ABSENT
    return bool((get(item, "error") if isinstance(item, dict) else ABSENT)
                or (classes and "nhsuk-input--error" in classes))


@component("date-input", parameters=set(DATE_INPUT_KEYS))
@fallback_when_not_written_for
def date_input(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/date-input/template.jinja with its items given
    items = _items(params)
    if not items:
        raise NotWrittenFor  # the day, month and year made from `values`
    hint_param = string_or_mapping(get(params, "hint"), HINT_KEYS)
    error_param = get(params, "errorMessage")
    error = string_or_mapping(error_param, ERROR_MESSAGE_KEYS)
    classes = classes_string(get(params, "classes"))
    fieldset_param = get(params, "fieldset")
    fieldset_keys = nested(fieldset_param, FIELDSET_PARAM_KEYS) if fieldset_param else {}
    # The template indents its fieldset by 2: everything in it is 2 deeper.
    base = 2 if fieldset_param else 0
    items = [nested(item, DATE_ITEM_KEYS) if item else item for item in items]
    for item in items:
        if item:
            classes_string(get(item, "classes"))
    any_item_error = any(_item_has_error(item) for item in items)
    group_error = bool(get(error, "text") or get(error, "html") or error_param == True or any_item_error)  # noqa: E712
    params_id = get(params, "id")
    described_by = get(fieldset_keys, "describedBy")
    parts, described_by = hint_and_error(hint_param, error, concat(params_id), concat(described_by) if described_by else "",
                                         design_system, base + 2)
    inputs = [f'<div class="nhsuk-date-input{" " + classes if classes else ""}"'
              f'{f" id={chr(34)}{escape(one_line(params_id))}{chr(34)}" if params_id else ""}'
              f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>']
    name_prefix = get(params, "namePrefix")
    error_shown = get(error, "text") or get(error, "html") or error_param == True  # noqa: E712
    for item in items:
        if not item:
            continue
        item_label = string_or_mapping(get(item, "label"), DATE_LABEL_KEYS)
        item_name = get(item, "name")
        item_classes = get(item, "classes")
        item_width = default(get(item, "width"), 4 if item_name == "year" else 2)
        item_classes = f" {item_classes}".strip() if item_classes else ""
        label_classes = get(item_label, "classes")
        text = default(get(item_label, "text"), item_name.capitalize() if isinstance(item_name, str) else ABSENT)
        if text is ABSENT and item_name is not ABSENT:
            raise NotWrittenFor  # a name that is not a string, capitalized
        item_error = get(item, "error")
        shows_error = (not get(item, "classes") or "nhsuk-input--error" not in item_classes) and (
            _item_has_error(item) or (item_error != False and error_shown and not any_item_error))  # noqa: E712
        item_id = get(item, "id")
        inputs.append(
            '<div class="nhsuk-date-input__item">\n'
            + str(input_html({
                "label": {"html": get(item_label, "html"), "text": text, "id": get(item_label, "id"),
                          "for": get(item_label, "for"),
                          "classes": "nhsuk-date-input__label" + (f" {label_classes}" if label_classes else ""),
                          "attributes": get(item_label, "attributes")},
                "errorMessage": shows_error,
                "id": item_id if item_id else f"{concat(params_id)}-{concat(item_name)}",
                "name": f"{concat(name_prefix)}[{concat(item_name)}]" if name_prefix else item_name,
                "value": get(item, "value"),
                "type": get(item, "type") or "text",
                "width": item_width,
                "inputmode": get(item, "inputmode") or "numeric",
                "spellcheck": get(item, "spellcheck"),
                "autocomplete": get(item, "autocomplete"),
                "autocapitalize": get(item, "autocapitalize"),
                "pattern": get(item, "pattern"),
                "disabled": default(get(item, "disabled"), get(params, "disabled")),
                "describedBy": get(item, "describedBy"),
                "classes": f"nhsuk-date-input__input {item_classes}".strip(),
                "attributes": get(item, "attributes"),
            }, design_system, base + 6))
            + "\n</div>")
    inputs.append("</div>")
    parts.append("\n".join(inputs))
    inner = "\n".join(parts)
    group_classes = "nhsuk-form-group" + (" nhsuk-form-group--error" if group_error else "")
    form_group_param = nested(get(params, "formGroup"), FORM_GROUP_KEYS)
    extra = classes_string(get(form_group_param, "classes"))
    if extra:
        group_classes += f" {extra}"
    if fieldset_param:
        inner = fieldset_html({"legend": get(fieldset_keys, "legend"), "html": Markup(inner),
                               "id": get(fieldset_keys, "id"), "role": default(get(fieldset_keys, "role"), "group"),
                               "describedBy": described_by, "classes": get(fieldset_keys, "classes"),
                               "attributes": get(fieldset_keys, "attributes")}, design_system, 2)
    return Markup(f'<div class="{escape(group_classes)}"'
                  f'{design_system.attributes(attributes_mapping(get(form_group_param, "attributes")))}>'
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
@fallback_when_not_written_for
def error_summary(params, design_system: DesignSystem) -> Markup:
    # nhsuk/components/error-summary/template.jinja
    heading = _string_or_mapping_else(get(params, "heading"), ERROR_SUMMARY_HEADING_KEYS,
                                      get(params, "titleText"), get(params, "titleHtml"))
    description = _string_or_mapping_else(get(params, "description"), ERROR_SUMMARY_DESCRIPTION_KEYS,
                                          get(params, "descriptionText"), get(params, "descriptionHtml"))
    classes = classes_string(get(params, "classes"))
    auto_focus = get(params, "disableAutoFocus")
    attributes = {"class": "nhsuk-error-summary" + (f" {classes}" if classes else ""),
                  "id": {"value": none_if_absent(get(params, "id")), "optional": True},
                  "data-module": "nhsuk-error-summary",
                  "data-disable-auto-focus": {"value": str(auto_focus).lower() if auto_focus in (True, False) else False,
                                              "optional": True}}
    parts = [f'<div{design_system.attributes(attributes)}'
             f'{design_system.attributes(attributes_mapping(get(params, "attributes")))}>\n<div role="alert">']
    heading_text = content(heading, 6)
    if heading_text is not None:
        parts.append(f'<h2 class="nhsuk-error-summary__heading"{optional_attribute("id", get(heading, "id"))}'
                     f'{design_system.attributes(attributes_mapping(get(heading, "attributes")))}>'
                     f'{_heading_content(heading_text, 4)}</h2>')
    parts.append('<div class="nhsuk-error-summary__body">')
    description_text = content(description, 8)
    if get(description, "text") or get(description, "html"):
        parts.append(f"<p>\n      \n        {description_text or ''}\n      \n      </p>")
    error_list = get(params, "errorList")
    if error_list is not ABSENT and not isinstance(error_list, (list, tuple)):
        raise NotWrittenFor
    if error_list:
        parts.append('<ul class="nhsuk-list nhsuk-error-summary__list">')
        for item in error_list:
            if not item:
                continue
            item = nested(item, ERROR_ITEM_KEYS)
            href = get(item, "href")
            if href:
                text = content(item, 12)
                parts.append(f'<li>\n<a href="{escape(href)}"'
                             f'{design_system.attributes(attributes_mapping(get(item, "attributes")))}>'
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
