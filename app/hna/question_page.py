"""Parts of the HNA question page that are the same for everyone on a step, made once, with the
person's own answer put in (issue 12).

The 0 to 10 distress scale is eleven radios: printed on every visit by the design system's radios
(app/components/forms.py) they were ~450 of the question page's ~4,000 Python calls, the largest
part of its own work. Which radio is checked is the person's answer, and an answer is never part
of the components' memo's key (nothing a person gave is kept in the process, even as one of
eleven shapes): so the radios are made through the memo with none checked, the same for everyone
on the step, and the answer's ` checked` is put into that one input's tag. The tag is found by
what the radios print for it alone (its name, type and value; one tag, or the page is made the
ordinary way), and tests/hna/test_question_page.py compares the result with the radios made with
the answer checked, for every answer of each scale, an error, an answer that is no item's and
values that need escaping.
"""
from __future__ import annotations

from jinja2 import pass_context
from markupsafe import Markup

from ..templating import escaped_text
from . import bp


@bp.app_template_global()
@pass_context
def radios_with_answer(context, params: dict, answer) -> Markup:
    """The design system's radios for `params` (whose items are none of them checked), with the
    item whose value equals `answer` checked, as `radios` prints it with that item's `checked`
    true; every radio unchecked when no item's value equals the answer."""
    items = params["items"]
    chosen = next((item for item in items if item.get("value") == answer), None)
    if chosen is None:
        return context["memoised_component"]("radios", params)
    unchecked = str(context["memoised_component"]("radios", params))
    # The tag's start as the radios print it (app/components/forms.py `_plain_radio_item`, the
    # design system's radios/template.jinja): an attribute after it is the answer's alone.
    tag = f' name="{escaped_text(params["name"])}" type="radio" value="{escaped_text(chosen["value"])}"'
    start = unchecked.find(tag)
    if start < 0 or unchecked.find(tag, start + 1) >= 0:
        # Not found once (radios these were not written for): made with the item checked.
        return context["radios"]({**params, "items": [
            {**item, "checked": True} if item.get("value") == answer else item for item in items]})
    end = start + len(tag)
    return Markup(f"{unchecked[:end]} checked{unchecked[end:]}")
