"""The "If you need help urgently" box (templates/partials/urgent_help.html, built by
app/main/urgent_line.py urgent_help_box): whose 24-hour line it gives, and to whom; and that the
scripts giving the line with no signal dial only links the server made."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_login import AnonymousUserMixin

from app.followup.pathway_content import emergency_signs
from app.sessions import RecordValues

RLO = "\u202e"
LINE = ('<li>Acute oncology 24-hour line: call <a href="tel:02079460999" class="app-tel">020 7946 0999</a>, '
        "at any time of day or night</li>")
NO_LINE = ('<li>call the 24-hour acute oncology line your team gave you, or <a href="tel:111">111</a> '
           "if you do not have it</li>")
FILLED_BY_THE_PHONE = NO_LINE.replace("<li>", "<li data-urgent-line>")


def team_columns(name="Acute oncology 24-hour line", phone="020 7946 0999"):
    """As the session reads it (sessions.SignedInPatient.team): the team's columns by name."""
    return RecordValues({"name": "Team A", "out_of_hours_name": name, "out_of_hours_phone": phone})


def patient(its_team):
    return SimpleNamespace(is_authenticated=True, is_patient=True, patient_profile=SimpleNamespace(team=its_team))


NURSE = SimpleNamespace(is_authenticated=True, is_patient=False, patient_profile=None)

BOXES = [
    # (who, public_page, the first thing to do "Then:")
    ("a patient whose team has a line", patient(team_columns()), False, LINE),
    ("the same line read from a record", patient(SimpleNamespace(**team_columns())), False, LINE),
    ("a line with no name", patient(team_columns(name=None)), False, LINE.replace("Acute oncology 24-hour line", "Your 24-hour line")),
    ("an empty name", patient(team_columns(name="")), False, LINE.replace("Acute oncology 24-hour line", "Your 24-hour line")),
    ("another team's line", patient(team_columns(name="Other ward", phone="0161 496 0000")), False,
     '<li>Other ward: call <a href="tel:01614960000" class="app-tel">0161 496 0000</a>, at any time of day or night</li>'),
    ("a name with markup and a bidi override", patient(team_columns(name=f'<script>x("1")</script>{RLO}')), False,
     f'<li>&lt;script&gt;x(&#34;1&#34;)&lt;/script&gt;{RLO}: call <a href="tel:02079460999" class="app-tel">'
     "020 7946 0999</a>, at any time of day or night</li>"),
    ("a line that cannot be dialled", patient(team_columns(phone="not a phone")), False,
     "<li>Acute oncology 24-hour line: call not a phone, at any time of day or night</li>"),
    ("a team with no line", patient(team_columns(phone=None)), False, NO_LINE),
    ("a team whose line is blank", patient(team_columns(phone="")), False, NO_LINE),
    ("a patient with no team", patient(None), False, NO_LINE),
    # Values read without the line's columns (a narrower read, a memoised page's plain dict):
    # no line, the general advice, rather than a patient page that fails (team_urgent_line).
    ("values without the line's columns", patient(RecordValues({"name": "Team A"})), False, NO_LINE),
    ("a plain dict without the line's columns", patient({"name": "Team A"}), False, NO_LINE),
    ("values with a phone and no name column", patient(RecordValues({"out_of_hours_phone": "020 7946 0999"})), False,
     LINE.replace("Acute oncology 24-hour line", "Your 24-hour line")),
    ("a patient, on a page kept for anyone", patient(team_columns()), True, FILLED_BY_THE_PHONE),
    ("a patient with no record", SimpleNamespace(is_authenticated=True, is_patient=True, patient_profile=None), False,
     FILLED_BY_THE_PHONE),
    ("a nurse", NURSE, False, FILLED_BY_THE_PHONE),
    ("someone signed out", AnonymousUserMixin(), False, FILLED_BY_THE_PHONE),
]


@pytest.mark.hazard("HAZ-002")
@pytest.mark.parametrize(("who", "user", "public_page", "first"), BOXES, ids=[row[0] for row in BOXES])
def test_the_box_gives_the_signed_in_patients_own_line_or_the_general_advice(app, who, user, public_page, first):
    with app.test_request_context():
        box = render_template_string('{% include "partials/urgent_help.html" %}', current_user=user,
                                     public_page=public_page)
    assert box.count("If you need help urgently") == 1
    assert "<p>Then:</p>\n<ul>\n" in box and first in box
    assert box.count("<li") == len(emergency_signs()) + 3
    for sign in emergency_signs():
        assert f"<li>{sign.text}</li>" in box.replace("&#39;", "'")
    assert '<li>call <a href="tel:999">999</a> or go to A&amp;E in an emergency</li>' in box
    assert "<li>call <a href=\"tel:111\">111</a> if you need help but it's not an emergency</li>" in box
    if public_page or first == FILLED_BY_THE_PHONE:
        assert "0207946" not in box and "020 7946" not in box and "Acute oncology" not in box


def test_a_page_that_sets_no_public_page_is_for_the_signed_in_patient(app):
    with app.test_request_context():
        box = render_template_string('{% include "partials/urgent_help.html" %}', current_user=patient(team_columns()))
    assert LINE in box


# The same rule, asked by the emergency partial (templates/partials/emergency.html: symptom,
# HNA question, check and submitted pages) and the urgent_line macro (the HNA's urgent
# concerns, symptom and follow-up pages): what each gives for the same person, as
# (the box's line, the partial's line, the macro's paragraph or "" where it gives none).
EMERGENCY_NO_LINE = ('<li>Call the 24-hour acute oncology line your team gave you, or <a href="tel:111">111</a> '
                     "if you do not have it</li>")


def macro_paragraph(name: str, link: str) -> str:
    return f'<p>{name}: {link}. In an emergency, call <a href="tel:999">999</a>.</p>'


ACUTE_LINK = '<a href="tel:02079460999" class="app-tel">020 7946 0999</a>'
EVERY_PLACE = [
    # (who, user, public_page, the partial's line, the macro's paragraph for the same person's team)
    ("a patient whose team has a line", patient(team_columns()), False, LINE,
     macro_paragraph("Acute oncology 24-hour line", ACUTE_LINK)),
    ("the same line read from a record", patient(SimpleNamespace(**team_columns())), False, LINE,
     macro_paragraph("Acute oncology 24-hour line", ACUTE_LINK)),
    ("the same line as a memoised page passes it", patient(dict(team_columns())), False, LINE,
     macro_paragraph("Acute oncology 24-hour line", ACUTE_LINK)),
    ("a line with no name", patient(team_columns(name=None)), False,
     LINE.replace("Acute oncology 24-hour line", "Your 24-hour line"), macro_paragraph("Your 24-hour line", ACUTE_LINK)),
    ("an empty name", patient(team_columns(name="")), False,
     LINE.replace("Acute oncology 24-hour line", "Your 24-hour line"), macro_paragraph("Your 24-hour line", ACUTE_LINK)),
    ("a name with markup", patient(team_columns(name="<b>x</b>")), False,
     LINE.replace("Acute oncology 24-hour line", "&lt;b&gt;x&lt;/b&gt;"), macro_paragraph("&lt;b&gt;x&lt;/b&gt;", ACUTE_LINK)),
    ("a line that cannot be dialled", patient(team_columns(phone="not a phone")), False,
     "<li>Acute oncology 24-hour line: call not a phone, at any time of day or night</li>",
     macro_paragraph("Acute oncology 24-hour line", "not a phone")),
    ("a team with no line", patient(team_columns(phone=None)), False, EMERGENCY_NO_LINE, ""),
    ("a team whose line is blank", patient(team_columns(phone="")), False, EMERGENCY_NO_LINE, ""),
    ("a patient with no team", patient(None), False, EMERGENCY_NO_LINE, ""),
    ("a patient, on a page kept for anyone", patient(team_columns()), True, EMERGENCY_NO_LINE, None),
    ("a patient with no record", SimpleNamespace(is_authenticated=True, is_patient=True, patient_profile=None), False,
     EMERGENCY_NO_LINE, None),
    ("a nurse", NURSE, False, EMERGENCY_NO_LINE, None),
    ("someone signed out", AnonymousUserMixin(), False, EMERGENCY_NO_LINE, None),
]


@pytest.mark.hazard("HAZ-002")
@pytest.mark.parametrize(("who", "user", "public_page", "partials", "macros"), EVERY_PLACE,
                         ids=[row[0] for row in EVERY_PLACE])
def test_the_emergency_partial_and_the_urgent_line_macro_give_the_same_line_as_the_box(
        app, who, user, public_page, partials, macros):
    emergency = {"symptoms": ["A temperature of 38C or above"], "advice": "Call now.", "seen": None}
    with app.test_request_context():
        partial = render_template_string('{% include "partials/emergency.html" %}', current_user=user,
                                         public_page=public_page, emergency=emergency)
        # The macro is given the team only on the signed-in patient's pages (None stands for
        # "no team given": pages kept for anyone, or no patient's record).
        its_team = None if macros is None else user.patient_profile.team
        macro = render_template_string('{% from "macros/urgent_line.html" import urgent_line %}{{ urgent_line(t) }}',
                                       t=its_team)
    assert partial.count("Call now: this could be an emergency") == 1
    assert partials in partial and partial.count("<li") == 3
    assert '<li>Call <a href="tel:999">999</a> if you are very unwell</li>' in partial
    assert macro == (macros or "")
    if public_page or partials == EMERGENCY_NO_LINE:
        assert "0207946" not in partial and "020 7946" not in partial and "Acute oncology" not in partial


def test_one_function_holds_the_rule_for_which_24_hour_line():
    """urgent_help_box, the emergency partial, the urgent_line macro and urgent_line_of all ask
    team_urgent_line: the default name is written once, and no template reads the team's phone."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [*(root / "app").rglob("*.py"), *(root / "templates").rglob("*.html")]
    defaults = sorted(str(p.relative_to(root)) for p in sources
                      if '"Your 24-hour line"' in p.read_text(encoding="utf-8"))
    assert defaults == ["app/main/urgent_line.py"]
    assert (root / "app/main/urgent_line.py").read_text(encoding="utf-8").count('"Your 24-hour line"') == 1
    assert sorted(str(p.relative_to(root)) for p in sources if '"your 24-hour line"' in p.read_text(encoding="utf-8")) \
        == ["app/main/urgent_line.py"]
    # Only staff pages show a team's settings as they are (admin's team page, the nurse's view of
    # a patient); every page a patient sees gives the line through team_urgent_line.
    reading_the_phone = sorted(str(p.relative_to(root)) for p in (root / "templates").rglob("*.html")
                               if "out_of_hours" in p.read_text(encoding="utf-8"))
    assert reading_the_phone == ["templates/admin/team.html", "templates/nurse/_patient_page.html"]


# Python that may read a team's out-of-hours phone itself: the rule, the column, the team's
# settings (admin edits them as they are), the demo's seeded team, and the follow-up page, which
# hands the team's values to the rule through the components' memo (team_urgent_line reads them).
_READS_THE_PHONE_ALLOWED = ["app/admin/forms.py", "app/admin/routes.py", "app/demo.py",
                            "app/followup/patient_page.py", "app/main/urgent_line.py", "app/models.py",
                            "app/sessions.py"]
# A default name for the line as a string of its own, in any case ("24-hour line", 'Your 24-hour line').
_DEFAULT_LINE_NAME = re.compile(r"""(['"])(your )?24-hour line\1""", re.IGNORECASE)


def python_copies_of_the_line_rule(root: Path) -> tuple[list[str], list[str]]:
    """(modules reading `out_of_hours_phone` outside the allow-list, modules writing a default name)."""
    reading, naming = [], []
    for path in sorted((root / "app").rglob("*.py")):
        name, text = str(path.relative_to(root)), path.read_text(encoding="utf-8")
        if "out_of_hours_phone" in text and name not in _READS_THE_PHONE_ALLOWED:
            reading.append(name)
        if _DEFAULT_LINE_NAME.search(text) and name != "app/main/urgent_line.py":
            naming.append(name)
    return reading, naming


@pytest.mark.hazard("HAZ-002")
def test_no_python_outside_the_rule_decides_the_24_hour_line():
    """Staff pages and text built in Python (the nurse's view of a patient's contacts, the
    follow-up contacts) give the line as team_urgent_line does: no module keeps its own copy of
    "phone, else the default name"."""
    root = Path(__file__).resolve().parent.parent
    assert python_copies_of_the_line_rule(root) == ([], [])
    # The check sees a copy (so it can fail).
    assert _DEFAULT_LINE_NAME.search("f\"{team.out_of_hours_name or '24-hour line'}\"")
    assert _DEFAULT_LINE_NAME.search('"Your 24-hour line"') and not _DEFAULT_LINE_NAME.search('"your 24-hour line now"')


# Any tel: in a script, in any spelling a script could make one with: 'tel:' + number,
# `tel:${number}`, "TEL:", a scheme kept apart ('tel' then ':').
_TEL_IN_A_SCRIPT = re.compile(r"""tel\s*:|['"`]tel['"`]""", re.IGNORECASE)
# The fixed national numbers, written as they are dialled (HAZ-011's one exception, as in templates).
_NATIONAL_LINK = re.compile(r"""<a href=\\?"tel:(999|111)\\?">\1</a>""")
# offline-record.js's allow-list of links kept in a record rebuilt on the phone: it lets through
# the links tel_link made (digits and a leading +), it makes none.
_KEPT_LINKS_FILTER = ("static/js/offline-record.js", r"/^(tel:\+?[0-9]+|")


def scripts_building_tel_links(text: str, path: str) -> list[str]:
    """The tel: links a script writes itself, other than the national numbers' literal links."""
    if path == _KEPT_LINKS_FILTER[0]:
        text = text.replace(_KEPT_LINKS_FILTER[1], "", 1)
    return _TEL_IN_A_SCRIPT.findall(_NATIONAL_LINK.sub("", text))


@pytest.mark.hazard("HAZ-011")
def test_no_script_makes_a_tel_link_from_a_number():
    """tel_link (app/forms.py) makes every link that dials a team's or a person's number; the
    scripts that show the person's own 24-hour line with no signal (urgent-line.js on the offline
    page, symptoms.js's offline instruction) put in the link the server made for it
    (urgent_line_of's "link"), never 'tel:' + a number of their own making."""
    root = Path(__file__).resolve().parent.parent
    scripts = [p for folder in ("static", "service-worker") for p in (root / folder).rglob("*.*js")
               if p.suffix in {".js", ".mjs"} and "nhsuk" not in p.relative_to(root).parts]
    assert (root / "static/js/urgent-line.js") in scripts and (root / "service-worker/service-worker.js") in scripts
    makers = sorted(str(p.relative_to(root)) for p in scripts
                    if scripts_building_tel_links(p.read_text(encoding="utf-8"), str(p.relative_to(root))))
    assert makers == []
    # The check sees each spelling (so it can fail) and lets through only what it must.
    for written in ["link.href = 'tel:' + line.dial", "`tel:${number.dial}`", 'a.setAttribute("href", "TEL:" + n)',
                    "new URL(n, 'tel' + ':')", "url.protocol = 'tel'", '\'<a href="tel:999">Call 999</a>\'',
                    '\'<a href="tel:112">112</a>\'', "const LINKS = /^(tel:\\+?[0-9]+|mailto:)$/"]:
        assert scripts_building_tel_links(written, "static/js/x.js"), written
    assert not scripts_building_tel_links('\'<a href="tel:999">999</a>\', "<a href=\\"tel:111\\">111</a>"',
                                          "static/js/x.js")
    assert not scripts_building_tel_links("const LINKS = /^(tel:\\+?[0-9]+|mailto:)$/", _KEPT_LINKS_FILTER[0])


@pytest.mark.hazard("HAZ-002")
@pytest.mark.hazard("HAZ-011")
def test_both_lines_for_the_phone_still_carry_dial_for_scripts_a_generation_older(app, client, actors):
    """A phone may run scripts from its service worker's cache for a while after a release (a new
    worker takes over when the person says so): the scripts before lines came with their link
    keep {name, phone, dial} from these two answers and dial `dial`. Without it they store dial
    null over a good line, and their offline page and symptom instruction fall back to 111."""
    from app.extensions import db
    from app.models import Team
    from tests.helpers import sign_in_as

    with app.app_context():
        team = db.session.get(Team, actors.team_a)
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology", "+44 (20) 7946-0999"
        db.session.commit()
    sign_in_as(client, actors.patient_a)
    kept = [client.get("/my-care/urgent-line").get_json(), client.get("/my-care/symptom-rules").get_json()["urgent_line"]]
    kept[0].pop("owner")  # whose line it is (test_the_urgent_line_names_its_person_as_their_pages_do)
    link = '<a href="tel:+442079460999" class="app-tel">+44 (20) 7946-0999</a>'
    assert kept == [{"name": "Acute oncology", "phone": "+44 (20) 7946-0999", "link": link, "dial": "+442079460999"}] * 2


@pytest.mark.hazard("HAZ-011")
def test_no_current_script_reads_the_dial_kept_for_older_ones():
    """`dial` is sent only for scripts a generation older; the current ones use the link the
    server made, or the number as plain text (test_no_script_makes_a_tel_link_from_a_number)."""
    root = Path(__file__).resolve().parent.parent
    reading_dial = re.compile(r"""\.dial\b|\[\s*['"`]dial['"`]\s*\]|\bdial\s*[:=]|\{[^}]*\bdial\b[^}]*\}\s*=""")
    readers = sorted(str(p.relative_to(root)) for p in (root / "static/js").glob("*.js")
                     if reading_dial.search(p.read_text(encoding="utf-8")))
    assert readers == []
    for written in ["line.dial", "rules.urgent_line['dial']", "{ dial: line.dial }", "const { name, dial } = line"]:
        assert reading_dial.search(written), written


def _page_owner(client) -> str:
    match = re.search(r'data-outbox-owner="([0-9a-f]+)"', client.get("/my-care").get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.hazard("HAZ-003")
def test_the_urgent_line_names_its_person_as_their_pages_do(app, client, actors):
    """A tab loaded for person A long ago refreshes the line when the phone comes back online
    (static/js/urgent-line.js), with whoever's cookie the phone now holds: the answer names its
    person with the opaque id A's page carries (data-outbox-owner), so the script keeps and shows
    it only on that person's page."""
    from tests.helpers import sign_in_as

    owners = {}
    for person in (actors.patient_a, actors.patient_b):
        sign_in_as(client, person)
        owners[person] = client.get("/my-care/urgent-line").get_json()["owner"]
        assert owners[person] == _page_owner(client)
    assert owners[actors.patient_a] != owners[actors.patient_b]
    assert all(re.fullmatch(r"[0-9a-f]{32}", owner) for owner in owners.values())
