"""Pages are sent without the templates' indentation, and nothing they show or send changes."""
from __future__ import annotations

import random
import re
import sys
from html.parser import HTMLParser

import pytest

import app.html_whitespace as html_whitespace
from app.html_whitespace import WHITESPACE_BUT_SPACE, without_indentation
from tests.test_security_headers import MAIN_PAGES, open_page


@pytest.mark.parametrize(("html", "expected"), [
    # Between attributes, whitespace is only a separator.
    ('<div\n    class="a"\n\n    data-x="1"\n  >', '<div class="a" data-x="1" >'),
    # A quoted value is kept exactly, line breaks and runs of spaces too.
    ('<input  value="two  spaces\n  and a line"  title=\'a  b\'>', '<input value="two  spaces\n  and a line" title=\'a  b\'>'),
    # Between tags, a run holding a line break becomes one line break.
    ("<ul>\n    \n    <li>", "<ul>\n<li>"),
    ("</p>   <p>", "</p>   <p>"),  # no line break: left alone
    # Whitespace beside text is left alone.
    ("<p>\n    Hello\n    <b>you</b>\n</p>", "<p>\n    Hello\n    <b>you</b>\n</p>"),
    # What a person typed comes back unchanged, whitespace and all.
    ("<textarea\n  name=\"t\">\n\n   \n</textarea>", "<textarea\n  name=\"t\">\n\n   \n</textarea>"),
    ("<textarea>line one\n\n    <not a tag></textarea>\n  <p>", "<textarea>line one\n\n    <not a tag></textarea>\n<p>"),
    ("<pre>\n  a\n\n  <b>b</b>\n</pre>", "<pre>\n  a\n\n  <b>b</b>\n</pre>"),
    ("<script src=\"/x.js\">\n</script>\n\n<p>", "<script src=\"/x.js\">\n</script>\n<p>"),
])
def test_only_whitespace_that_cannot_show_is_taken_out(html, expected):
    assert without_indentation(html) == expected


# The first version of the pass, one regular expression calling Python for every tag and line
# break (a tenth of a page's time): the faster one must send exactly the same bytes.
REFERENCE_PARTS = re.compile(
    r"(?P<kept><(?P<raw>textarea|pre|script|style)\b.*?</(?P=raw)\s*>)"
    r"|(?P<tag><[a-zA-Z][^<>]*>)"
    r"|(?<=>)[ \t\r]*\n\s*(?=<)",
    re.S | re.I,
)


def reference_without_indentation(html: str) -> str:
    def smaller(match: re.Match) -> str:
        if match.group("kept"):
            return match.group("kept")
        if match.group("tag"):
            return re.sub(r"(\"[^\"]*\"|'[^']*')|\s+", lambda part: part.group(1) or " ", match.group("tag"))
        return "\n"
    return REFERENCE_PARTS.sub(smaller, html)


TRICKY = [
    "", "<", ">", "\n<p>", "<p>\n", "<p>\n  </p>\n  <textarea>\n  <b>\n </textarea>\n  <p\n  x>",
    "<pre>\n</pre>\n\n<pre>  \n</pre>\n <textarea a=\"1\"\n>x</textarea>",
    "<textarea>no end\n  <p\n  class='a  b'>\n  <i>",
    '<div title="a>\n  <b">\n  <i>', "<a b='x\" c'\td=\"y  z\"\n>", "<p\u00a0class=x>\n\u2028<b>",
    "<script>\n</script>\n<style>\n</style ><SCRIPT\n>\n</script\n>\n<p>", "<p>\r\n\t<br>\n\n<br  >",
]


@pytest.mark.parametrize("html", TRICKY)
def test_the_pass_sends_what_its_first_version_sent(html):
    assert without_indentation(html) == reference_without_indentation(html)


def test_the_pass_sends_what_its_first_version_sent_for_random_markup():
    pieces = ["<", ">", "<p", "<div", "</p>", "<textarea>", "</textarea>", "<pre", "</pre >", "<script>",
              "</script>", " ", "  ", "\n", "\t", "\r", "\u00a0", "\x0c", "\u2028", "\u3000", "\x1f", '"', "'", "=", "a", "class", "x y"]
    generator = random.Random(12)
    for _ in range(3000):
        html = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 40)))
        assert without_indentation(html) == reference_without_indentation(html), html


def test_the_whitespace_spelled_out_is_what_a_pattern_takes_for_whitespace_but_the_space():
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    assert re.findall(f"[{WHITESPACE_BUT_SPACE}]", every_character) == re.findall(r"[^\S ]", every_character)


class Tokens(HTMLParser):
    """What a browser builds from a page: tags, attributes and text (whitespace collapsed as
    it renders, except in a textarea or pre)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens: list = []
        self.raw = 0

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(attrs)))
        self.raw += tag in ("textarea", "pre")

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))
        self.raw -= tag in ("textarea", "pre")

    def handle_data(self, data):
        if self.tokens and self.tokens[-1][0] == "text":
            data = self.tokens[-1][1] + data
            self.tokens.pop()
        self.tokens.append(("text", data if self.raw else re.sub(r"\s+", " ", data)))


def tokens(html: str) -> list:
    parser = Tokens()
    parser.feed(html)
    parser.close()
    return parser.tokens


@pytest.mark.parametrize(("who", "path"), MAIN_PAGES)
def test_every_main_page_means_the_same_without_its_indentation(app, actors, monkeypatch, who, path):
    monkeypatch.setattr(html_whitespace, "without_indentation", lambda html: html)
    as_rendered = open_page(app, actors, who, path).get_data(as_text=True)
    monkeypatch.undo()
    sent = without_indentation(as_rendered)
    assert sent == reference_without_indentation(as_rendered)
    # No indentation left between tags (the header's and footer's was taken out ahead, in their memo).
    assert not re.search(r">[ \t]*\n[ \t\n]+<", sent)
    assert tokens(sent) == tokens(as_rendered)


def test_pages_are_sent_without_indentation_and_files_are_not_touched(app, client):
    page = client.get("/sign-in/password").get_data(as_text=True)
    assert not re.search(r">[ \t]*\n\s*\n\s*<", page) and not re.search(r"<[a-z]+[^<>]*\n[^<>]*>", page)
    script = client.get("/service-worker.js").get_data(as_text=True)
    assert "\n  " in script


# ---------------------------------------------------------------- a whole page, passed as it is made


@pytest.mark.parametrize(("pieces", "expected", "inside"), [
    # Runs and start tags inside a piece go; at its ends they are left for the page's pass.
    (["\n  <p>\n  <b\n  class='x'>\n  ", "\n  <i>\n  "], ["\n  <p>\n<b class='x'>\n  ", "\n  <i>\n  "], [False]),
    # A script with a value in its tag (a nonce) is left whole across the pieces.
    (['<p>\n  <script nonce="', '">\n  </script>\n  <p\n  >\n  <i>'],
     ['<p>\n<script nonce="', '">\n  </script>\n<p >\n<i>'], [True]),
    # One that does not end in the fragment: the page around it might end it, so nothing is taken out.
    (["<p>\n  <textarea>\n  <b>", "\n  <i>"], ["<p>\n  <textarea>\n  <b>", "\n  <i>"], None),
])
def test_a_fragments_pieces_lose_what_the_pass_would_take_out_of_them(pieces, expected, inside):
    assert html_whitespace.pieces_without_indentation(pieces) == (expected, inside)


# Values as pages put them in: escaped text, and markup whose kept elements end in it.
VALUES = ["", "text", "  spaced\n  text  ", "&lt;b&gt;", "<b>\n  bold\n</b>", "\n  <p\n  class='x'>\n  ",
          "<textarea>\n  kept\n</textarea>", "<script src=x>\n</script>\n  <p>", " id=\"a\"", ">", "<", "\n"]


def test_a_page_passed_as_it_is_made_is_what_the_pass_makes_of_it_whole(app):
    """A layout's pieces with values between them: passed_page gives what the pass over the whole
    page gives, for random pieces and values (app/templating.py puts only values that open or
    close no kept element of their own, and none of their tags inside one)."""
    # Kept elements rarer than other tags, as in pages (a fragment with one left open has no plan).
    pieces = ["<", ">", ">", "<p", "<p", "<div", "</p>", "</p>", "<b>", "<textarea>", "</textarea>", "<pre",
              "</pre >", "<script>", "</script>", " ", "  ", "\n", "\n  ", "\t", '"', "'", "=", "a", "class", "x y"]
    generator = random.Random(7)
    planned = 0
    with app.test_request_context():
        for _ in range(20000):
            layout = ["".join(generator.choice(pieces) for _ in range(generator.randint(0, 12)))
                      for _ in range(generator.randint(1, 5))]
            texts, inside = html_whitespace.pieces_without_indentation(layout)
            plan = html_whitespace.page_plan(texts, inside)
            if plan is None:
                continue
            values = [generator.choice([value for value in VALUES if not html_whitespace.KEPT_TAG.search(value)]
                                       if kept else VALUES) for kept in inside]
            planned += 1
            whole = "".join(text for pair in zip(layout, values + [""], strict=True) for text in pair)
            assert html_whitespace.passed_page(plan, values) == without_indentation(whole), (layout, values)
    assert planned > 2000, planned


@pytest.mark.parametrize("values", [
    ["a", "b"],
    # A value holding what ends each window in the one pass over them all: passed one by one.
    ["a\x00\n  <i>", "b"],
    ["\x00", "\x00\x00"],
])
def test_a_pages_windows_are_passed_as_each_would_be_on_its_own(app, values):
    layout = ["<p>\n  <b>", "</b>\n  <i>\n  <u>", "</u>\n  <p\n  >"]
    texts, inside = html_whitespace.pieces_without_indentation(layout)
    plan = html_whitespace.page_plan(texts, inside)
    assert plan.window_count == 2
    whole = "".join(text for pair in zip(layout, values + [""], strict=True) for text in pair)
    with app.test_request_context():
        assert html_whitespace.passed_page(plan, values) == without_indentation(whole)


def test_the_pass_after_the_view_leaves_only_the_page_made_as_it_was_made(app, actors):
    from flask import Response, g

    with app.test_request_context():
        html_whitespace.passed_page(("<p>\n  <b>",), [])
        assert app.process_response(Response("<p>\n  <b>", mimetype="text/html")).get_data(as_text=True) == "<p>\n  <b>"
        # A view that made a page and answered with another: that one is passed.
        html_whitespace.passed_page(("<p>",), [])
        answered = app.process_response(Response("<i>\n  <b>", mimetype="text/html"))
        assert answered.get_data(as_text=True) == "<i>\n<b>" and "page_passed" not in g
