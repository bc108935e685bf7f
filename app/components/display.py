"""The design system's components that show things (tag, card, summary list, inset text, ...)."""
from __future__ import annotations

from collections import abc

from markupsafe import Markup, escape

from . import DesignSystem, component, given, optional_id, text_or_html

TAG_COLOURS = ("white", "grey", "green", "aqua-green", "blue", "purple", "pink", "red", "orange", "yellow")


@component("tag", parameters={"text", "html", "classes", "colour", "border", "id", "attributes"})
def tag(params: abc.Mapping, design_system: DesignSystem) -> Markup | None:
    # nhsuk/components/tag/template.jinja
    classes = given(params, "classes")
    colour = given(params, "colour")
    if classes is not None and not isinstance(classes, str):
        return None
    class_names = "nhsuk-tag"
    if colour and colour in TAG_COLOURS and (
            not classes or not any(f"nhsuk-tag--{known}" in classes for known in TAG_COLOURS)):
        class_names += f" nhsuk-tag--{colour}"
    if colour is False and (not classes or "nhsuk-tag--no-colour" not in classes):
        class_names += " nhsuk-tag--no-colour"
    if given(params, "border") is False and (not classes or "nhsuk-tag--no-border" not in classes):
        class_names += " nhsuk-tag--no-border"
    if classes:
        class_names += f" {classes}"
    content = text_or_html(params, 2)
    # The template's own line breaks around its text: text keeps them through the whitespace pass.
    inner = f"\n\n  {content}\n\n" if content is not None else "\n\n"
    return Markup(f'<strong class="{escape(class_names)}"{optional_id(params)}'
                  f'{design_system.attributes(params.get("attributes"))}>{inner}</strong>')
