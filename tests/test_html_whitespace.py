"""Pages are sent without the templates' indentation, and nothing they show or send changes."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import app.html_whitespace as html_whitespace
from app.html_whitespace import without_indentation
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
    assert len(sent) < len(as_rendered) * 0.9
    assert tokens(sent) == tokens(as_rendered)


def test_pages_are_sent_without_indentation_and_files_are_not_touched(app, client):
    page = client.get("/sign-in/password").get_data(as_text=True)
    assert not re.search(r">[ \t]*\n\s*\n\s*<", page) and not re.search(r"<[a-z]+[^<>]*\n[^<>]*>", page)
    script = client.get("/service-worker.js").get_data(as_text=True)
    assert "\n  " in script
