"""Phone numbers: a tel: link only for a number that can be dialled, from one rule (dial_digits)."""
from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from app.extensions import db
from app.forms import dial_digits, tel_link
from app.models import PatientProfile
from tests.helpers import page

DIALLABLE = [
    ("020 7946 0000", "02079460000"),
    ("(020) 7946-0000", "02079460000"),
    ("+44 (20) 7946-0999", "+442079460999"),
    ("+44 20 7946.0123", "+442079460123"),
    ("07700\u00a0900\u00a0982", "07700900982"),  # non-breaking spaces, pasted from a letter
    ("116 123", "116123"),  # Samaritans: national helplines are short
    ("111", "111"),
    ("123456789012345", "123456789012345"),  # 15 digits, the longest an international number has
]
UNDIALLABLE = [
    "not a phone",
    "",
    "   ",
    "12",  # too short to be any number
    "1234567890123456",  # 16 digits
    "0800 NHS 111",  # letters cannot be dialled
    "020 7946 0000 ext 12",
    "44+20 7946 0000",  # a plus in the middle
    "020 7946 0000 or 020 7946 0001",
    "tel:02079460000",
    "\u0660\u0662\u0660 7946 0000",  # Arabic-Indic digits: not what a phone dials
]


@pytest.mark.parametrize(("written", "dialled"), DIALLABLE)
def test_a_number_that_can_be_dialled_gives_its_digits(written, dialled):
    assert dial_digits(written) == dialled


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize("written", UNDIALLABLE)
def test_a_number_that_cannot_be_dialled_gives_nothing_to_dial(written):
    assert dial_digits(written) == ""


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize("written", ["not a phone", "12", "<b>0800</b> NHS"])
def test_tel_link_shows_an_undiallable_number_as_plain_text(written):
    shown = tel_link(written, "GP practice")

    assert "<a" not in shown and "tel:" not in shown
    assert "<b>" not in shown  # still escaped


RLO, NUL = "\u202e", "\x00"
TEL_LINKS = [
    # (number, label, the HTML)
    ("020 7946 0000", None, '<a href="tel:02079460000" class="app-tel">020 7946 0000</a>'),
    ("+44 (20) 7946-0999", "", '<a href="tel:+442079460999" class="app-tel">+44 (20) 7946-0999</a>'),
    ("116 123", "Samaritans",
     '<a href="tel:116123" class="app-tel">116 123<span class="nhsuk-u-visually-hidden"> (Samaritans)</span></a>'),
    ("111", '<script>alert("x")</script> & co',
     '<a href="tel:111" class="app-tel">111<span class="nhsuk-u-visually-hidden">'
     ' (&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co)</span></a>'),
    # A bidi override or a NUL in a label is kept as text, escaped like any other; the link still dials.
    ("999", f"GP{RLO}ecitcarp", f'<a href="tel:999" class="app-tel">999<span class="nhsuk-u-visually-hidden"> (GP{RLO}ecitcarp)</span></a>'),
    ("999", f"GP{NUL}", f'<a href="tel:999" class="app-tel">999<span class="nhsuk-u-visually-hidden"> (GP{NUL})</span></a>'),
    # What cannot be dialled: plain text, escaped, with no label and never an empty tel: link.
    ("not a phone", "GP practice", "not a phone"),
    ('<script>alert("x")</script>', None, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"),
    ("<b>0800</b> NHS", "GP practice", "&lt;b&gt;0800&lt;/b&gt; NHS"),
    (f"{RLO}020 7946 0000", None, f"{RLO}020 7946 0000"),  # a bidi override is not a separator
    (f"020 7946{NUL}0000", None, f"020 7946{NUL}0000"),
    ("", "GP practice", ""),
    (None, None, "None"),  # as a template printed a missing value before: visible, never a link
    ("'0800' & \"111\"", None, "&#39;0800&#39; &amp; &#34;111&#34;"),
]


@pytest.mark.hazard("HAZ-011")
@pytest.mark.parametrize(("number", "label", "html"), TEL_LINKS)
def test_tel_link_dials_only_what_can_be_dialled_and_escapes_every_piece(number, label, html):
    shown = tel_link(number, label)

    assert isinstance(shown, Markup) and str(shown) == html


@pytest.mark.parametrize(("number", "label", "html"), TEL_LINKS)
def test_templates_print_tel_link_as_it_is(app, number, label, html):
    """A template global, printed without a second escaping."""
    with app.test_request_context():
        assert render_template_string("{{ tel_link(n, l) }}", n=number, l=label) == html


@pytest.mark.hazard("HAZ-011")
def test_contacts_never_show_an_empty_tel_link(app, patient, actors):
    with app.app_context():
        db.session.get(PatientProfile, actors.profile_a).gp_practice_phone = "not a phone"
        db.session.commit()

    body = page(patient.get("/my-care/contacts"))

    assert "not a phone" in body
    assert 'href="tel:"' not in body
