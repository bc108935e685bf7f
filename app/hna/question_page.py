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
from jinja2.utils import htmlsafe_json_dumps
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


@bp.app_template_global()
@pass_context
def question_form_tag(context, *, action_url: str, step: str, hna, offline_copy: bool, next_url: str,
                      return_url: str | None, journey_json: Markup, chosen_concerns: list) -> Markup:
    """The question's form's start tag, as templates/hna/question.html printed it with a dozen
    `{{ }}` (each an escape and a Markup, and a lookup through the context: a tenth of the page's
    own work): every value escaped as autoescape escapes it (`escaped_text`: a plain string in one
    str.translate, anything else as markupsafe's escape), the chosen concerns as `| tojson |
    forceescape` printed them. tests/hna/test_question_page.py compares it with the template's
    for a table of forms."""
    url_for = context["url_for"]
    policies = context.environment.policies  # as Jinja's tojson filter dumps
    chosen = htmlsafe_json_dumps(chosen_concerns, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"])
    hna_id = "" if offline_copy else f' data-hna-id="{escaped_text(hna.id)}"'
    signature = f'{escaped_text(hna.questionnaire_version_id)}-{"self" if hna.offered_by_id is None else "offered"}'
    returning = f' data-return-url="{escaped_text(return_url)}"' if return_url else ""
    shell = ' data-shell="1"' if offline_copy else ""
    return Markup(
        f'<form method="post" action="{escaped_text(action_url)}" novalidate\n'
        f'        data-module="hna-question" data-step="{escaped_text(step)}"{hna_id}\n'
        f'        data-journey-signature="{signature}"\n'
        f'        data-api-url="{escaped_text(url_for("hna.api_save"))}"\n'
        f'        data-next-url="{escaped_text(next_url)}" data-later-url="{escaped_text(url_for("hna.start"))}"{returning}\n'
        f'        data-journey="{escaped_text(journey_json)}"\n'
        f'        data-chosen="{escaped_text(str(chosen))}"{shell}>')
