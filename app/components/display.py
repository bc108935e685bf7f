"""The design system's components that show things (tag, card, summary list, inset text, ...)."""
from __future__ import annotations

from collections import abc

from jinja2 import Undefined
from markupsafe import Markup, escape

from . import HEADING_SIZES, DesignSystem, component, joined_classes, modifier, given, indented, optional_id, text_or_html

TAG_COLOURS = ("white", "grey", "green", "aqua-green", "blue", "purple", "pink", "red", "orange", "yellow")


@component("tag", parameters={"text", "html", "classes", "colour", "border", "id", "attributes"})
def tag(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    # nhsuk/components/tag/template.jinja
    classes = given(params, "classes")
    colour = given(params, "colour")
    if classes is not None and not isinstance(classes, str):
        return None
    added = [colour_class] if (colour_class := modifier("nhsuk-tag--", colour, TAG_COLOURS, classes)) else []
    if colour is False and (not classes or "nhsuk-tag--no-colour" not in classes):
        added.append("nhsuk-tag--no-colour")
    if given(params, "border") is False and (not classes or "nhsuk-tag--no-border" not in classes):
        added.append("nhsuk-tag--no-border")
    if classes:
        added.append(classes)
    class_names = " ".join(["nhsuk-tag", *added])
    # The template's whitespace before the tag, a `{% set %}` line for each class it adds: kept
    # by the whitespace pass where a tag follows text (`<p>{{ tag(...) }}`, `</a> {{ tag(...) }}`).
    before = _CLASS_SET * len(added)
    content = text_or_html(params, 2)
    # The template's own line breaks around its text: text keeps them through the whitespace pass.
    inner = f"\n\n  {content}\n\n" if content is not None else "\n\n"
    return Markup(f'{before}<strong class="{escape(class_names)}"{optional_id(params)}'
                  f'{design_system.attributes(params.get("attributes"))}>{inner}</strong>')


# ---------------------------------------------------------------- card
#
# nhsuk/components/card/template.jinja for the cards this service draws: a heading given as a
# string (a link when the card has an `href`), a description as text or HTML, the feature,
# secondary, warning and care (non-urgent, urgent, emergency) variants. Actions, images, the
# primary card's icon, heading captions and a heading or description given as a mapping fall back.
# Whitespace next to text is the template's own (the page's whitespace pass keeps it); between
# tags one line break stands for the template's indentation.

CARD_CLASS_VARIANTS = ("feature", "primary", "secondary", "warning")
CARD_FLAGS = ("clickable", *CARD_CLASS_VARIANTS)
CARE_VARIANTS = ("non-urgent", "urgent", "emergency")
CARE_HIDDEN_TEXT = {"emergency": "Immediate action required", "urgent": "Urgent advice"}
# The template's line breaks and indentation either side of the text it prints.
_HEADING_TEXT_BEFORE = "\n\n\n      \n\n      "
_HEADING_TEXT_AFTER = "\n      \n\n\n    "
_HIDDEN_HEADING_TEXT_AFTER = "\n      "
_DESCRIPTION_HTML_BEFORE = "\n  \n  \n    "
_DESCRIPTION_HTML_AFTER = "\n  \n  \n  "
# Each `{% set classNames %}` the template runs prints a line break and an indented one first.
_CLASS_SET = "\n  \n"


def _plain_string(value) -> bool:
    return isinstance(value, str) and not hasattr(value, "__html__")


def _trimmed(value) -> str:
    """The `trim` filter: a string stripped as it is (Markup stays Markup, so it is not escaped
    when printed), anything else as its text."""
    return value.strip() if isinstance(value, str) else str(value).strip()


def _heading_element(level, default: int) -> str:
    """`(params.element | default("h" ~ params.level | default("1", true))) | lower`, the level
    having been given `| default(default)` first (an undefined level takes the default; None,
    0 or "" make an h1)."""
    if level is _UNSET:
        level = default
    return str(escape(f"h{level if level else 1}".lower()))


_UNSET = object()


def _level(params: abc.Mapping, key: str):
    value = params.get(key, _UNSET)
    return _UNSET if isinstance(value, Undefined) else value


def _heading_classes(size, classes) -> str:
    """The heading component's classes, as the card calls it (className nhsuk-card__heading,
    classPrefix nhsuk-heading-)."""
    return joined_classes("nhsuk-card__heading", modifier("nhsuk-heading-", size, HEADING_SIZES, classes), classes)


def _card(design_system: DesignSystem, *, classes, card_id, attributes, variant, heading_text, heading_level,
          heading_size, heading_hidden_text, href, description_text, description_html, flags) -> str | None:
    """The card's HTML with the template's leading whitespace, or None for what falls back."""
    class_names = "nhsuk-card"
    fired = 0
    for flag in CARD_FLAGS:
        if flags.get(flag):
            class_names += f" nhsuk-card--{flag}"
            fired += 1
    if variant_class := modifier("nhsuk-card--", variant, CARD_CLASS_VARIANTS, classes):
        class_names += f" {variant_class}"
        fired += 1
    is_care = bool(variant and variant in CARE_VARIANTS and heading_text)
    if is_care and (not classes or not any(f"nhsuk-card--care--{known}" in classes for known in CARE_VARIANTS)):
        class_names += f" nhsuk-card--care nhsuk-card--care--{variant}"
        fired += 1
    if classes:
        class_names += f" {classes}"
        fired += 1
    if "nhsuk-card--primary" in class_names:
        return None  # the primary card's chevron icon: the template's
    if is_care:
        if heading_hidden_text:
            heading_hidden_text = escape(_trimmed(heading_hidden_text))
            if not heading_hidden_text:
                return None  # a hidden text of spaces only: the template's
        else:
            heading_hidden_text = CARE_HIDDEN_TEXT.get(variant, "Non-urgent advice")
    out = ["\n\n\n", _CLASS_SET * fired, f'<div class="{escape(class_names)}"',
           f' id="{escape(card_id)}"' if card_id else "", design_system.attributes(attributes), ">"]
    heading = ""
    if heading_text:
        element = _heading_element(heading_level, 2)
        text = escape(_trimmed(heading_text))
        heading_classes = escape(_heading_classes(heading_size, None))
        if href and not is_care and "nhsuk-card--feature" not in class_names:
            inner = f'\n<a class="nhsuk-card__link" href="{escape(href)}">{indented(text, 6)}</a>\n'
        elif heading_hidden_text:
            inner = (f'\n<span role="text">\n<span class="nhsuk-u-visually-hidden">{escape(heading_hidden_text)}: </span>'
                     f"{indented(text, 8)}{_HIDDEN_HEADING_TEXT_AFTER}</span>\n")
        else:
            inner = f"{_HEADING_TEXT_BEFORE}{indented(text, 6)}{_HEADING_TEXT_AFTER}"
        heading = f'\n<{element} class="{heading_classes}" >{inner}</{element}>'
    if is_care:
        out.append('\n<div class="nhsuk-card__heading-container">' + heading
                   + '\n<span class="nhsuk-card--care__arrow" aria-hidden="true"></span>\n</div>')
    out.append('\n<div class="nhsuk-card__content" >')
    if heading and not is_care:
        out.append(heading)
    if description_html:
        out.append(f"{_DESCRIPTION_HTML_BEFORE}{indented(Markup(str(description_html).strip()), 4)}{_DESCRIPTION_HTML_AFTER}")
    elif description_text:
        out.append(f'\n<p class="nhsuk-card__description">{escape(indented(_trimmed(description_text), 4))}</p>')
    out.append("</div>\n</div>" if description_html else "\n</div>\n</div>")
    return "".join(out)


@component("card", parameters={
    "href", "clickable", "heading", "headingLevel", "headingSize", "headingVisuallyHiddenText",
    "description", "descriptionHtml", "variant", "feature", "secondary", "warning", "classes", "id", "attributes"})
def card(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    # nhsuk/components/card/template.jinja
    heading = given(params, "heading")
    description = given(params, "description")
    classes = given(params, "classes")
    variant = given(params, "variant")
    size = given(params, "headingSize")
    hidden_text = given(params, "headingVisuallyHiddenText")
    href = given(params, "href")
    if not all(value is None or _plain_string(value) for value in (heading, classes, variant, size, href)):
        return None
    if not (description is None or isinstance(description, str)):
        return None
    if not (hidden_text is None or isinstance(hidden_text, str)):
        return None
    description_html = description if hasattr(description, "__html__") else given(params, "descriptionHtml")
    html = _card(design_system, classes=classes, card_id=given(params, "id"), attributes=params.get("attributes"),
                 variant=variant, heading_text=heading, heading_level=_level(params, "headingLevel"),
                 heading_size=size, heading_hidden_text=hidden_text, href=href,
                 description_text=description, description_html=description_html,
                 flags={flag: given(params, flag) for flag in CARD_FLAGS})
    return None if html is None else Markup(html)


# ---------------------------------------------------------------- summary list
#
# nhsuk/components/summary-list/template.jinja and its row template, for rows with a key and a
# value (text or HTML, or a string) and at most one action link. Borders, widths, classes or ids
# on rows, several actions, a card around the list and a caller block fall back.

_ROW_TEXT_BEFORE = "\n    \n      "
_ROW_TEXT_AFTER = "\n    \n    "


def _key_or_value(value):
    """The row's `key` or `value` as text or HTML: (html, text), or None for what falls back."""
    if value is None or isinstance(value, Undefined):
        return None, None
    if isinstance(value, abc.Mapping):
        if not value.keys() <= {"text", "html"}:
            return None
        return given(value, "html"), given(value, "text")
    if isinstance(value, str):
        return (value, value) if hasattr(value, "__html__") else (None, value)
    return None  # another type is neither text nor HTML to the template


def _row_cell(element: str, class_name: str, content) -> str:
    html, text = content
    if html:
        inner = f"{_ROW_TEXT_BEFORE}{indented(Markup(str(html).strip()), 6)}{_ROW_TEXT_AFTER}"
    elif text:
        inner = f"{_ROW_TEXT_BEFORE}{escape(indented(_trimmed(text), 6))}{_ROW_TEXT_AFTER}"
    else:
        inner = "\n"
    return f'\n<{element} class="{class_name}" >{inner}</{element}>'


def _row_action(actions, design_system: DesignSystem) -> str | None:
    """The one action link of a row (nhsuk/components/card/action/template.jinja), "" for none."""
    if actions is None or isinstance(actions, Undefined):
        return ""
    if not isinstance(actions, abc.Mapping) or not actions.keys() <= {"items"}:
        return None
    items = given(actions, "items")
    if not items:
        return ""
    if not isinstance(items, (list, tuple)):
        return None
    items = [item for item in items if isinstance(item, abc.Mapping)]
    if not items:
        return ""
    if len(items) > 1:
        return None
    item = items[0]
    href = given(item, "href")
    hidden_text = given(item, "visuallyHiddenText")
    if not item.keys() <= {"href", "text", "html", "visuallyHiddenText"} or not (_plain_string(href) and href):
        return None
    content = text_or_html(item, 8) or ""
    hidden = (f'<span class="nhsuk-u-visually-hidden"> {escape(hidden_text)}</span>' if hidden_text else "")
    return (f'\n<dd class="nhsuk-summary-list__actions" >\n<a class="nhsuk-link" href="{escape(href)}" >'
            f"{content}{hidden}</a>\n</dd>")


@component("summary-list", parameters={"rows", "classes", "id", "attributes"})
def summary_list(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    # nhsuk/components/summary-list/template.jinja, summary-list/row/template.jinja
    classes = given(params, "classes")
    rows = given(params, "rows")
    if not (classes is None or _plain_string(classes)):
        return None
    if rows and not isinstance(rows, (list, tuple)):
        return None
    rows = [row for row in rows if isinstance(row, abc.Mapping)] if rows else []
    has_actions = any(isinstance(given(row, "actions"), abc.Mapping) and given(row, "actions").get("items")
                      for row in rows)
    html_rows = []
    for row in rows:
        if not row.keys() <= {"key", "value", "actions"}:
            return None
        key = _key_or_value(given(row, "key"))
        value = _key_or_value(given(row, "value"))
        action = _row_action(given(row, "actions"), design_system)
        if key is None or value is None or action is None:
            return None
        row_classes = "nhsuk-summary-list__row" + (" nhsuk-summary-list__row--no-actions" if has_actions and not action else "")
        html_rows.append(f'\n<div class="{row_classes}" >'
                         + _row_cell("dt", "nhsuk-summary-list__key", key)
                         + _row_cell("dd", "nhsuk-summary-list__value", value)
                         + action + "\n</div>")
    class_names = "nhsuk-summary-list" + (f" {classes}" if classes else "")
    # The template's whitespace before the list: its `{% set %}`s and one per row.
    before = "\n\n" + (_CLASS_SET if classes else "") + "\n" + _CLASS_SET * len(rows)
    return Markup(f'{before}<dl class="{escape(class_names)}"{optional_id(params)}'
                  f'{design_system.attributes(params.get("attributes"))}>{"".join(html_rows)}\n</dl>\n')


# ---------------------------------------------------------------- inset text
# nhsuk/components/inset-text/template.jinja, for everything but a caller block.

@component("inset-text", parameters={"text", "html", "visuallyHiddenText", "classes", "id", "attributes"})
def inset_text(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    if not (classes is None or _plain_string(classes)):
        return None
    html = given(params, "html")
    if html:
        content = f"\n\n  {indented(Markup(str(html).strip()), 2)}\n\n"
    elif given(params, "text"):
        content = f"\n\n  <p>{text_or_html({'text': params['text']}, 2)}</p>\n\n"
    else:
        content = "\n\n"
    hidden_text = given(params, "visuallyHiddenText") or "Information"
    class_names = "nhsuk-inset-text" + (f" {classes}" if classes else "")
    return Markup(f'{_CLASS_SET if classes else ""}<div class="{escape(class_names)}"{optional_id(params)}'
                  f'{design_system.attributes(params.get("attributes"))}>\n'
                  f'<span class="nhsuk-u-visually-hidden">{escape(hidden_text)}: </span>{content}</div>')


# ---------------------------------------------------------------- warning callout
#
# nhsuk/components/warning-callout/template.jinja: a warning card. A heading given as a string
# (or none), text or HTML; a heading mapping, actions and a caller block fall back.

@component("warning-callout", parameters={"heading", "headingLevel", "text", "html", "classes", "id", "attributes"})
def warning_callout(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    heading = given(params, "heading")
    classes = given(params, "classes")
    if not (heading is None or _plain_string(heading)) or not (classes is None or _plain_string(classes)):
        return None
    text = given(params, "text")
    if not (text is None or isinstance(text, (str, int, float))):
        return None
    # `heading.level | default(params.headingLevel) | default(3)`: only an undefined level defaults.
    level = _level(params, "headingLevel")
    hidden_text = "Important" if heading and "Important" not in heading and "important" not in heading else None
    html = _card(design_system, classes=classes, card_id=given(params, "id"), attributes=params.get("attributes"),
                 variant="warning", heading_text=heading, heading_level=3 if level is _UNSET else level,
                 heading_size=None, heading_hidden_text=hidden_text, href=None,
                 description_text=text, description_html=given(params, "html"), flags={})
    if html is None:
        return None
    # The callout trims the card it prints, and ends with the line break after it.
    return Markup(html.lstrip() + "\n")


# ---------------------------------------------------------------- button
#
# nhsuk/components/button/template.jinja: a <button> (or a link styled as one, with `href`), its
# variant, small and extra classes, name, value, the double-click guard and attributes. Icons,
# another element or type, disabled and aria-label fall back.

BUTTON_VARIANTS = ("brand", "login", "reverse", "secondary", "secondary-solid", "warning")
# The template's whitespace before the element: its `{% set %}`s choosing the element.
_BUTTON_ELEMENT_SET = "\n  \n    \n  \n"


def _optional_pair(name: str, value) -> str | None:
    """nhsukAttributes' optional attribute for a value of None, a plain string or a number;
    None for another kind of value (the caller falls back)."""
    if value is None or isinstance(value, Undefined):
        return ""
    if _plain_string(value) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return f' {name}="{escape(value)}"'
    return None


@component("button", parameters={"text", "html", "href", "variant", "small", "classes", "id", "name", "value",
                                  "preventDoubleClick", "attributes"})
def button(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    variant = given(params, "variant")
    href = given(params, "href")
    prevent_double_click = given(params, "preventDoubleClick")
    if not all(value is None or _plain_string(value) for value in (classes, variant, href)):
        return None
    if prevent_double_click not in (None, True, False) or isinstance(prevent_double_click, int) and not isinstance(
            prevent_double_click, bool):
        return None
    added = [variant_class] if (variant_class := modifier("nhsuk-button--", variant, BUTTON_VARIANTS, classes)) else []
    if given(params, "small") and (not classes or "nhsuk-button--small" not in classes):
        added.append("nhsuk-button--small")
    if classes:
        added.append(classes)
    element = "a" if href else "button"
    id_pair = _optional_pair("id", given(params, "id"))
    name_pair = _optional_pair("name", given(params, "name")) if element == "button" else ""
    value_pair = _optional_pair("value", given(params, "value")) if element == "button" else ""
    if id_pair is None or name_pair is None or value_pair is None:
        return None
    guard = ("" if prevent_double_click is None
             else f' data-prevent-double-click="{str(prevent_double_click).lower()}"')
    if element == "a":
        own = f' href="{escape(href)}" role="button" draggable="false"'
    else:
        own = f' type="submit"{value_pair}'
    content = text_or_html(params, 2) or ""
    class_names = " ".join(["nhsuk-button", *added])
    return Markup(f'\n{_CLASS_SET * len(added)}{_BUTTON_ELEMENT_SET}\n<{element} class="{escape(class_names)}"'
                  f'{id_pair}{name_pair} data-module="nhsuk-button"{guard}{own}'
                  f'{design_system.attributes(params.get("attributes"))}>\n  {content}\n</{element}>\n')


# ---------------------------------------------------------------- back link
# nhsuk/components/back-link/template.jinja, as a link (`href`); a <button> back link falls back.

@component("back-link", parameters={"href", "text", "html", "visuallyHiddenText", "variant", "classes", "id", "attributes"})
def back_link(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    href = given(params, "href")
    variant = given(params, "variant")
    if not (_plain_string(href) and href) or not (classes is None or _plain_string(classes)):
        return None
    id_pair = _optional_pair("id", given(params, "id"))
    if id_pair is None:
        return None
    added = []
    if variant == "reverse" and (not classes or "nhsuk-back-link--reverse" not in classes):
        added.append("nhsuk-back-link--reverse")
    if classes:
        added.append(classes)
    html = given(params, "html")
    if html:
        inner = indented(Markup(str(html).strip()), 2)
    else:
        inner = indented(escape(given(params, "text") or "Back").strip(), 2)
    hidden_text = given(params, "visuallyHiddenText")
    hidden = f'\n  <span class="nhsuk-u-visually-hidden">{escape(hidden_text)} </span>' if hidden_text else "\n  "
    class_names = " ".join(["nhsuk-back-link", *added])
    return Markup(f'{_CLASS_SET * len(added)}{_BUTTON_ELEMENT_SET}<a class="{escape(class_names)}"{id_pair}'
                  f' href="{escape(href)}"{design_system.attributes(params.get("attributes"))}>\n  '
                  f'{hidden}{inner}\n  \n</a>')


# ---------------------------------------------------------------- panel
# nhsuk/components/panel/template.jinja: a title given as titleText, text or HTML below it.

@component("panel", parameters={"titleText", "headingLevel", "text", "html", "classes", "id", "attributes"})
def panel(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    title = given(params, "titleText")
    if not (classes is None or _plain_string(classes)) or not (title is None or _plain_string(title)):
        return None
    level = given(params, "headingLevel")
    heading = ""
    if title:
        element = escape(f"h{level if level else 1}".lower())
        heading = (f'\n<{element} class="nhsuk-panel__heading" >\n\n\n      {escape(indented(title.strip(), 4))}'
                   f"\n    \n\n\n  </{element}>")
    html = given(params, "html")
    text = given(params, "text")
    if html:
        body = f'\n<div class="nhsuk-panel__body">\n  \n    {indented(Markup(str(html).strip()), 4)}\n  \n  </div>'
    elif text:
        body = f'\n<div class="nhsuk-panel__body">\n  \n    {escape(text)}\n  \n  </div>'
    else:
        body = ""
    class_names = "nhsuk-panel" + (f" {classes}" if classes else "")
    return Markup(f'\n{_CLASS_SET if classes else ""}<div class="{escape(class_names)}"{optional_id(params)}'
                  f'{design_system.attributes(params.get("attributes"))}>{heading}{body}\n</div>')


# ---------------------------------------------------------------- notification banner
# nhsuk/components/notification-banner/template.jinja: the flashed messages (base.html), with the
# title given as titleText (or the default), text or HTML. A heading, a title mapping, role,
# ids and attributes fall back.

@component("notification-banner", parameters={"text", "html", "type", "variant", "titleText", "classes"})
def notification_banner(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    variant = given(params, "variant") or given(params, "type")
    title = params.get("titleText", _UNSET)
    if isinstance(title, Undefined) or title is _UNSET:
        title = "Success" if variant == "success" else "Important"
    if not (_plain_string(title) and title) or not (classes is None or _plain_string(classes)):
        return None
    added = [classes] if classes else []
    if variant == "success" and (not classes or "nhsuk-notification-banner--success" not in classes):
        added.append("nhsuk-notification-banner--success")
    html = given(params, "html")
    text = given(params, "text")
    if html:
        body = f"\n  \n  \n    {indented(Markup(str(html).strip()), 4)}\n  \n  "
    elif text:
        body = (f'\n<p class="nhsuk-notification-banner__heading">\n      '
                f"{escape(indented(_trimmed(text), 6))}\n    </p>\n")
    else:
        body = "\n"
    class_names = " ".join(["nhsuk-notification-banner", *added])
    role = "alert" if variant == "success" else "region"
    return Markup(
        f'\n{_CLASS_SET * len(added)}\n<div class="{escape(class_names)}" data-module="nhsuk-notification-banner"'
        f' role="{role}" aria-labelledby="nhsuk-notification-banner-title" >'
        '\n<div class="nhsuk-notification-banner__header">'
        '\n<h2 class="nhsuk-notification-banner__title" id="nhsuk-notification-banner-title" >'
        f"\n\n\n        {escape(indented(title.strip(), 6))}\n      \n\n\n    </h2>\n</div>"
        f'\n<div class="nhsuk-notification-banner__content">{body}</div>\n</div>')


# ---------------------------------------------------------------- skip link
# nhsuk/components/skip-link/template.jinja: on every page (base.html).

@component("skip-link", parameters={"href", "text", "html", "classes", "id", "attributes"})
def skip_link(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    classes = given(params, "classes")
    href = given(params, "href") or "#maincontent"
    if not (classes is None or _plain_string(classes)) or not _plain_string(href):
        return None
    id_pair = _optional_pair("id", given(params, "id"))
    if id_pair is None:
        return None
    html = given(params, "html")
    if html:
        content = indented(Markup(str(html).strip()), 2)
    else:
        content = escape(indented(_trimmed(given(params, "text") or "Skip to main content"), 2))
    class_names = "nhsuk-skip-link" + (f" {classes}" if classes else "")
    return Markup(f'{_CLASS_SET if classes else ""}<a class="{escape(class_names)}"{id_pair}'
                  f' data-module="nhsuk-skip-link" href="{escape(href)}"'
                  f'{design_system.attributes(params.get("attributes"))}>\n\n  {content}\n\n</a>')
