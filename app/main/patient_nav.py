"""The patient's menu, in one place: every page a patient reaches from the header, in order.

A new patient page is added here the day it lands (tests/test_patient_nav.py fails until it is,
or until it is listed there as reached from another page). Entries name endpoints, never paths,
so a moved URL cannot leave a dead link in the menu.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, request, url_for
from markupsafe import Markup, escape


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    text: str
    # Home's URL starts every patient path, so it is current only on itself.
    exact: bool = False


PATIENT_NAV: tuple[NavEntry, ...] = (
    NavEntry("main.patient_home", "Home", exact=True),
    NavEntry("careplan.patient_plan", "My plan"),
    NavEntry("symptoms.history", "Symptoms"),
    NavEntry("reentry.ask", "Ask my team"),
    NavEntry("messages.patient_threads", "Messages"),
    NavEntry("results.patient_results", "Results"),
    NavEntry("followup.patient_follow_up", "Follow-up"),
    NavEntry("main.contacts", "Contacts"),
    NavEntry("followup.patient_summary", "Treatment summary"),
    NavEntry("auth.passkey_list", "Account"),
)


def is_current(href: str, path: str, exact: bool) -> bool:
    """The menu entry for `href` is the page at `path` or one of the pages below it."""
    return path == href or (not exact and path.startswith(href.rstrip("/") + "/"))


# typed: a Markup and a str of the same characters are different words (one is escaped already).
@lru_cache(maxsize=256, typed=True)
def nav_text_html(text: str, count: int = 0) -> Markup:
    """A menu entry's words, with how many are unread when there are any ("Messages (2 unread)",
    the word "unread" for screen readers only, so the menu stays short on a phone). Kept for each
    entry's words and count (a Markup, which nothing changes): the layout asks on every page, and
    escaping them again cost a dozen Python calls each time."""
    if not count:
        return escape(text)
    # An f-string of the escaped values, not Markup.format: the layout asks on every page.
    return Markup(f'{escape(text)} ({escape(count)}<span class="nhsuk-u-visually-hidden"> unread</span>)')


# Where the links of PATIENT_NAV are kept for each app, by the site's root path; and the entries
# current at each path the layout has asked about, by the root path and the path.
_LINKS_KEY = "patient_nav_links"
_CURRENT_KEY = "patient_nav_current"
# The most paths whose current entries are kept for an app (a path may hold a record's id, so
# there is no end to them): past it they are forgotten and worked out again as asked.
KEPT_PATHS = 2048


def _links(script_root: str | None = None) -> tuple[tuple[NavEntry, str, Markup], ...]:
    """Each entry with its link and its words as HTML: the same for everyone on every page, so
    built once per app and root path rather than on every page (ten URL builds and escapes were
    a twentieth of a page that reads nothing of its own, bench/request_profile.py)."""
    if script_root is None:
        script_root = request.script_root
    built = current_app.extensions.setdefault(_LINKS_KEY, {})
    links = built.get(script_root)
    if links is None:
        links = built[script_root] = tuple(
            (entry, url_for(entry.endpoint), nav_text_html(entry.text)) for entry in PATIENT_NAV)
    return links


def current_patient_nav_entries(path: str, script_root: str | None = None) -> tuple[str, ...]:
    """The endpoints of the entries current at `path` (a page under two entries makes both
    current): all the menu takes from the page, so the layout's memo keys on it rather than on
    the path (app/templating.py layout_page). The layout passes the request's root path, which
    it has read. Worked out once per app, root path and path (the same for everyone: the
    links and the path alone decide it), as the links are: on every patient page it cost ten
    comparisons and their calls (~40 Python calls)."""
    if script_root is None:
        script_root = request.script_root
    known = current_app.extensions.setdefault(_CURRENT_KEY, {})
    current = known.get((script_root, path))
    if current is None:
        if len(known) >= KEPT_PATHS:
            known.clear()
        current = known[script_root, path] = tuple(
            entry.endpoint for entry, href, _ in _links(script_root) if is_current(href, path, entry.exact))
    return current


def patient_menu(current: tuple[str, ...], words: dict | None = None) -> list[dict]:
    """The menu's items with the entries of `current` current; `words` gives an entry's words as
    HTML by endpoint where they are the person's own (a count: marked personal, never part of
    what the header's memo keeps, app/templating.py)."""
    words = words or {}
    return [{"href": href, "text": entry.text, "html": words.get(entry.endpoint, html),
             "current": entry.endpoint in current}
            for entry, href, html in _links()]
