"""The person's own 24-hour line: as data, for the pages and scripts that keep it on the phone
(the offline page's /my-care/urgent-line and the symptom rules' /my-care/symptom-rules), and in
the "If you need help urgently" box on every symptom, re-entry and offline page."""
from __future__ import annotations

from typing import NamedTuple

from jinja2 import pass_context
from markupsafe import Markup, escape

from ..followup.pathway_content import emergency_signs
from ..forms import dial_digits, tel_link
from ..sessions import RecordValues


DEFAULT_LINE_NAME = "Your 24-hour line"


class TeamLine(NamedTuple):
    name: str
    phone: str

    @property
    def name_in_a_sentence(self) -> str:
        """The name as words inside a sentence ("call your 24-hour line now"): the team's own name
        as it is, the default one without its capital."""
        return "your 24-hour line" if self.name == DEFAULT_LINE_NAME else self.name


def team_urgent_line(team) -> TeamLine | None:
    """The one rule for which 24-hour line a team gives (HAZ-002): its out-of-hours phone under
    its name, or DEFAULT_LINE_NAME where it has none; None where the team (or its phone) is
    missing, or values read without it. The urgent-help box, the emergency partial, the urgent_line macro and the phone's
    copy (urgent_line_of) all ask this; a template global. `team`: a tracked `Team` or its values
    as read with the session (`sessions.RecordValues`), read alike by attribute; a page memoised
    by the components' memo gets its arguments back as plain dicts (the follow-up page's team
    line), which are read as the session's values are."""
    if type(team) is dict:
        team = RecordValues(team)
    # Values read without the line's columns give no line (the box's general advice: your
    # team's line, or 111) rather than an error on a patient page.
    phone = getattr(team, "out_of_hours_phone", None)
    if not phone:
        return None
    return TeamLine(getattr(team, "out_of_hours_name", None) or DEFAULT_LINE_NAME, phone)


def _signed_in_patients_record(context, public_page):
    """Who gets their team's line: the signed-in patient with a record, as the page has the user
    (read once); no one on pages kept for anyone (public_page: nothing personal or team-specific)."""
    user = context.get("current_user")
    if public_page or not (user and user.is_authenticated and user.is_patient):
        return None
    return user.patient_profile


@pass_context
def urgent_line_here(context, public_page=False) -> TeamLine | None:
    """The 24-hour line this page gives (templates/partials/emergency.html): the signed-in
    patient's team's, by team_urgent_line; None for anyone else. A template global."""
    profile = _signed_in_patients_record(context, public_page)
    return team_urgent_line(profile.team if profile else None)


def urgent_line_of(profile) -> dict:
    """{name, phone, link} of the person's team's 24-hour line, for the phone to keep; all None
    where it has none. `link` is tel_link's HTML, so that the scripts showing the line with no
    signal (urgent-line.js, symptoms.js) dial what every page dials and make no tel: link of
    their own (HAZ-011); None where the phone cannot be dialled, and the page's own advice
    (your team's line, or 111) stays.
    `dial` (the digits to dial, None where there are none) is for scripts a generation older only:
    a phone runs the scripts in its service worker's cache until the person lets a new worker
    take over (static/js/sw-register.js), and those scripts keep {name, phone, dial} and dial
    `dial`; without it they would overwrite a good line with dial null and fall back to 111
    offline (HAZ-002). The current scripts never read it (tests/test_urgent_help.py). Keep it
    for at least one service-worker generation after 2026-12-07 (the release that sent `link`)."""
    line = team_urgent_line(profile.team)
    if line is None:
        return {"name": None, "phone": None, "link": None, "dial": None}
    dial = dial_digits(line.phone) or None
    return {"name": line.name, "phone": line.phone, "link": str(tel_link(line.phone)) if dial else None, "dial": dial}


# The box's words (templates/partials/urgent_help.html includes it). Written here, not in a
# template: the box is on 18 pages, and as a template it cost ~150 Python calls a render
# (attribute look-ups through Jinja, a set block, escaping each piece); this is ~30 (issue 12).
_ADVICE = ("<p>This app is not for emergencies and does not replace urgent care. Get help now if you feel very "
           "unwell or have any of these:</p>\n<ul>\n  ")
_THEN = "\n</ul>\n<p>Then:</p>\n<ul>\n  "
# Where the team has no 24-hour line, or on pages kept for anyone (the offline page, offline
# copies), where the script puts the person's own line from what this phone keeps for them
# (static/js/urgent-line.js, which finds the item by data-urgent-line); without it, 111 answers
# at any time.
_NO_TEAM_LINE = ("call the 24-hour acute oncology line your team gave you, or <a href=\"tel:111\">111</a> if you "
                 "do not have it</li>")
_GENERAL = ("\n  \n  <li>call <a href=\"tel:999\">999</a> or go to A&amp;E in an emergency</li>\n"
            "  <li>call <a href=\"tel:111\">111</a> if you need help but it's not an emergency</li>\n</ul>")
_signs: list = [None, ""]  # the emergency signs (bundled content, the same for everyone) and their items


def _signs_html() -> str:
    signs = emergency_signs()
    if signs is not _signs[0]:
        _signs[:] = [signs, "".join(f"<li>{escape(sign.text)}</li>" for sign in signs)]
    return _signs[1]


@pass_context
def urgent_help_box(context, public_page=False) -> Markup:
    """The "If you need help urgently" box: 999, 111 and, for a signed-in patient whose team has
    one, the team's 24-hour line as a link that dials it. A page kept for anyone (public_page)
    holds nothing personal or team-specific. Whose line, and which, as every page decides it
    (_signed_in_patients_record, team_urgent_line).
    The box is the same for every patient of a team (no personal value in it): the components'
    memo renders it once per process for each team's line (memoised_component)."""
    profile = _signed_in_patients_record(context, public_page)
    line = team_urgent_line(profile.team if profile else None)
    if line:
        line = f"\n  <li>{escape(line.name)}: call {tel_link(line.phone)}, at any time of day or night</li>"
    elif profile:
        line = "<li>" + _NO_TEAM_LINE
    else:
        line = "<li data-urgent-line>" + _NO_TEAM_LINE
    # A level 2 heading: pages include the box straight under their h1 as often as between
    # sections, and a level 3 there skips one (tests/test_heading_order.py).
    return context.environment.globals["memoised_component"]("warning-callout", {
        "heading": "If you need help urgently", "headingLevel": 2,
        "html": Markup(_ADVICE + _signs_html() + _THEN + line + _GENERAL)})
