"""The nurse's page for one person (templates/nurse/patient.html): its details, needs assessment,
contacts and sign-in parts as shapes from the components' memo (app/nurse/patient_page.py,
templates/nurse/_patient_page.html). For every state the parts can show, they print what the page
printed before (its template, below), and a second person in the same state is served from the
kept shape: the part's macro is not rendered again, so every value given is shown, whole."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from app.hna.models import HNAStatus, PathwayPoint
from app.hna.service import AssessmentShown, NeedsAssessment
from app.html_whitespace import without_indentation
from app.nurse.forms import STAFF_PATHWAY_POINT_LABELS
from app.nurse.patient_page import SignIn, patient_contacts_page, patient_details_page

# The page's parts as its template printed them before the shapes: the reference.
BEFORE = """{%- set edit_url = url_for('nurse.edit_patient', patient_id=profile.id) -%}
{%- set credentials = sign_in.passkeys -%}
{%- if credentials or sign_in.has_password -%}
  {%- set sign_in_text = (credentials ~ (" passkey" if credentials == 1 else " passkeys") if credentials else "") ~ (" and " if credentials and sign_in.has_password else "") ~ ("a password" if sign_in.has_password else "") -%}
  {%- set sign_in_text = sign_in_text[:1] | upper ~ sign_in_text[1:] -%}
{%- else -%}
  {%- set sign_in_text = "No passkey or password set up yet" -%}
{%- endif -%}
<div>
<h2 class="nhsuk-heading-m">Details</h2>
{{ memoised_component("summary-list", {"rows": [
  {"key": {"text": "NHS number"}, "value": {"text": personal(profile.nhs_number_display)}},
  {"key": {"text": "Date of birth"}, "value": {"text": personal(profile.date_of_birth | long_date)},
   "actions": {"items": [{"href": personal(edit_url ~ "#date_of_birth-day"), "text": "Change", "visuallyHiddenText": "date of birth"}]}},
  {"key": {"text": "Date of diagnosis"}, "value": {"text": personal(profile.diagnosed_on | long_date("Not recorded"))},
   "actions": {"items": [{"href": personal(edit_url ~ "#diagnosed_on-day"), "text": "Change", "visuallyHiddenText": "date of diagnosis"}]}},
  {"key": {"text": "Tumour pathway"}, "value": {"text": personal(pathway_name(profile.tumour_pathway))},
   "actions": {"items": [{"href": personal(edit_url ~ "#tumour_pathway"), "text": "Change", "visuallyHiddenText": "tumour pathway"}]}},
  {"key": {"text": "Phone number"}, "value": {"text": personal(profile.phone or "Not recorded")},
   "actions": {"items": [{"href": personal(edit_url ~ "#phone"), "text": "Change", "visuallyHiddenText": "phone number"}]}},
  {"key": {"text": "Key worker"}, "value": {"text": personal(profile.key_worker.display_name if profile.key_worker else "None")},
   "actions": {"items": [{"href": personal(edit_url ~ "#key_worker_id"), "text": "Change", "visuallyHiddenText": "key worker"}]}}
]}) }}
<p><a href="{{ edit_url }}">Change name or other details<span class="nhsuk-u-visually-hidden"> for {{ profile.full_name }}</span></a></p>

<h2 class="nhsuk-heading-m">Needs assessment</h2>
{% if hna_draft and hna_draft.offered_by_id %}
<p>{{ hna_draft.offered_by_name or "The team" }} offered a needs assessment on {{ hna_offered_at | long_date }}{% if hna_draft.pathway_point %} ({{ pathway_point_labels[hna_draft.pathway_point.value] | lower }}){% endif %}. {{ "They have started it but not sent it yet." if hna_draft.last_step else "They have not started it yet." }}</p>
{% elif hna_draft %}
<p>{{ profile.given_name }} has started a needs assessment but not sent it yet.</p>
{% endif %}
{% if hna_last_sent %}
<p>Last sent on {{ hna_last_sent.submitted_at | long_date }}. <a href="{{ url_for('hna.team_view', hna_id=hna_last_sent.id) }}">View the assessment<span class="nhsuk-u-visually-hidden"> sent by {{ profile.full_name }}</span></a></p>
{% elif not hna_draft %}
<p>{{ profile.given_name }} has not filled in a needs assessment yet.</p>
{% endif %}
{% if not (hna_draft and hna_draft.offered_by_id) %}
<a class="nhsuk-button nhsuk-button--secondary" href="{{ url_for('nurse.offer_hna', patient_id=profile.id) }}" role="button" draggable="false">Offer a needs assessment</a>
{% endif %}
</div><div>
<h2 class="nhsuk-heading-m">Contacts</h2>
<h3 class="nhsuk-heading-s">GP practice</h3>
{{ memoised_component("summary-list", {"rows": [
  {"key": {"text": "GP practice"}, "value": {"text": personal(profile.gp_practice_name or "Not recorded")},
   "actions": {"items": [{"href": personal(edit_url ~ "#gp_practice_name"), "text": "Change", "visuallyHiddenText": "GP practice"}]}},
  {"key": {"text": "Phone"}, "value": {"text": personal(profile.gp_practice_phone or "Not recorded")},
   "actions": {"items": [{"href": personal(edit_url ~ "#gp_practice_phone"), "text": "Change", "visuallyHiddenText": "GP practice phone number"}]}},
  {"key": {"text": "Address"}, "value": {"text": personal(profile.gp_practice_address or "Not recorded")},
   "actions": {"items": [{"href": personal(edit_url ~ "#gp_practice_address"), "text": "Change", "visuallyHiddenText": "GP practice address"}]}}
]}) }}
<h3 class="nhsuk-heading-s">{{ team.name }}</h3>
<p>What {{ profile.given_name }} sees as their team's contacts. An admin changes these.</p>
{{ memoised_component("summary-list", {"rows": [
  {"key": {"text": "Team phone"}, "value": {"text": personal(team.phone or "Not recorded")}},
  {"key": {"text": "Hours"}, "value": {"text": personal(team.hours or "Not recorded")}},
  {"key": {"text": "Email"}, "value": {"text": personal(team.email or "Not recorded")}},
  {"key": {"text": "Out of hours"}, "value": {"text": personal(((team.out_of_hours_name or "Your 24-hour line") ~ ": " ~ team.out_of_hours_phone) if team.out_of_hours_phone else "Not recorded: patients are told to call 111, or 999 in an emergency")}}
]}) }}

<h2 class="nhsuk-heading-m">Signing in</h2>
{{ memoised_component("summary-list", {"rows": [
  {"key": {"text": "How they sign in"}, "value": {"text": personal(sign_in_text)}},
  {"key": {"text": "Last signed in"}, "value": {"text": personal(sign_in.last_signed_in | long_date("Never"))}}
]}) }}
<p>Give a new invitation if they have not signed up yet, their code expired, or they lost their phone. Any earlier invitation stops working.</p>
<form method="post" action="{{ url_for('nurse.reinvite', patient_id=profile.id) }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  {{ memoised_component("button", {"text": "Create a new invitation", "classes": "nhsuk-button--secondary"}) }}
</form>
</div>"""

AFTER = """<div>
{{ memoised_component("nurse/_patient_page.html:patient_details", details) }}
</div><div>
{{ memoised_component("nurse/_patient_page.html:patient_contacts", contacts) }}
</div>"""

OFFERED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
SENT_AT = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)


def a_person(number: int, filled_in: bool):
    """Two people of each state: their values differ in every field the page shows."""
    nurse = SimpleNamespace(display_name=f"Nurse <{number}> & co")
    return SimpleNamespace(
        id=number, full_name=f"Ann{number} O'Able", given_name=f"Ann{number}",
        nhs_number_display=f"999 00{number} 2342", date_of_birth=date(1950, 5, number),
        diagnosed_on=date(2025, 1, number) if filled_in else None,
        tumour_pathway="breast" if number % 2 else "lung",
        phone=f"0700 {number}" if filled_in else None, key_worker=nurse if filled_in else None,
        gp_practice_name=f"The <Practice> {number}" if filled_in else None,
        gp_practice_phone=f"0100 {number}" if filled_in else None,
        gp_practice_address=f"{number} High St" if filled_in else None,
    )


def a_team(number: int, filled_in: bool, line: str):
    return SimpleNamespace(
        name=f"Team {number} & \"friends\"", phone=f"0200 {number}" if filled_in else None,
        hours=f"9 to {number}" if filled_in else None, email=f"t{number}@nhs.net" if filled_in else None,
        out_of_hours_phone=f"0300 {number}" if line != "none" else None,
        out_of_hours_name=f"Ward {number}" if line == "named" else None,
    )


def drafts(number: int):
    """Each kind of draft: none, started by the person, offered (at a point of the pathway or
    not, started or not)."""
    def shown(offered_by, point, last_step):
        return AssessmentShown(10 + number, HNAStatus.DRAFT, 7 if offered_by is not False else None,
                               offered_by or None, OFFERED_AT if offered_by is not False else None, point,
                               last_step, None)
    return {
        "none": None,
        "started": shown(False, None, "distress"),
        "offered": shown(f"Nurse {number}", PathwayPoint.END_OF_TREATMENT, None),
        "offered by someone gone, started": shown(None, None, "distress"),
    }


STATES = list(itertools.product(
    ["none", "started", "offered", "offered by someone gone, started"],  # the draft
    [False, True],                                                        # one sent before
    [(0, False), (1, False), (2, True), (0, True)],                       # passkeys, a password
    [True, False],                                                        # details filled in
    ["named", "unnamed", "none"],                                         # the team's 24-hour line
))


@pytest.mark.parametrize("draft, sent, credentials, filled_in, line",
                         [state for number, state in enumerate(STATES) if number % 3 == 0 or state[1] is False])
def test_each_state_prints_what_the_page_printed_and_is_kept(app, monkeypatch, draft, sent, credentials, filled_in, line):
    module = app.jinja_env.get_template("nurse/_patient_page.html").module
    rendered = []
    for name in ("patient_details", "patient_contacts"):
        monkeypatch.setattr(module, name, _counted(getattr(module, name), rendered))
    before, after = app.jinja_env.from_string(BEFORE), app.jinja_env.from_string(AFTER)
    app.jinja_env.globals["memoised_component"].cache_clear()
    pages = []
    for number in (1, 2):
        profile, team = a_person(number, filled_in), a_team(number, filled_in, line)
        hna = NeedsAssessment(drafts(number)[draft], AssessmentShown(20 + number, HNAStatus.SUBMITTED, None, None,
                                                                     None, None, None, SENT_AT) if sent else None)
        sign_in = SignIn(True, credentials[1], credentials[0], SENT_AT if credentials != (0, False) else None)
        with app.test_request_context(f"/nurse/patients/{number}"):
            expected = before.render(
                profile=profile, team=team, sign_in=sign_in, hna_draft=hna.draft, hna_last_sent=hna.last_sent,
                hna_offered_at=hna.draft.offered_at if hna.draft else None,
                pathway_point_labels=STAFF_PATHWAY_POINT_LABELS)
            shown = after.render(details=patient_details_page(profile, hna, STAFF_PATHWAY_POINT_LABELS),
                                 contacts=patient_contacts_page(profile, team, sign_in))
        # The CSRF token is new for each request context: the same place in both, each its own.
        pages.append((without_indentation(expected), without_indentation(shown)))
    for expected, shown in pages:
        assert _without_token(shown) == _without_token(expected)
        assert shown.count('name="csrf_token" value="') == 1
    assert "Ann1" in pages[0][1] and "Ann1" not in pages[1][1]
    # Each part rendered once, for the first person, into its shape; the second person's parts
    # came from the shapes kept (a part rendered directly would be rendered again each time).
    assert len(rendered) == 2


def _counted(macro, rendered: list):
    def counting(page):
        rendered.append(page)
        return macro(page)
    return counting


def _without_token(html: str) -> str:
    start = html.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return html[:start] + html[html.index('"', start):]
