"""The queue's pagination (templates/nurse/queue.html) goes through the components' memo with
each link's address (a cursor into the team's queue) put in as a personal value: it renders what
the design system's pagination renders with the addresses in place, and keeps no address."""
from __future__ import annotations

import pytest

from app.html_whitespace import without_indentation

QUEUE_PAGINATION = """{% include "nurse/_queue_pagination.html" %}"""

DIRECT = """{{ pagination({
  "ariaLabel": "Pages of the queue",
  "previous": {"href": first_url, "labelText": "First page: the most urgent items"} if first_url else undefined,
  "next": {"href": next_url, "labelText": "Less urgent items"} if next_url else undefined
}) }}"""

NEXT = "/nurse/queue?status=mine&pathway=breast&after=1.2026-11-24T17:00:00.2026-11-24T09:30:00.42"
FIRST = "/nurse/queue?status=mine&q=O%27Brien+%3Cb%3E"


@pytest.mark.parametrize("first_url, next_url", [
    (None, NEXT), (FIRST, NEXT), (FIRST, None), ("/nurse/queue", "/nurse/queue?after=0.x.y.1"),
])
def test_the_queues_pagination_memoised_is_the_pagination_rendered(app, first_url, next_url):
    with app.test_request_context("/nurse/queue"):
        direct = without_indentation(app.jinja_env.from_string(DIRECT).render(first_url=first_url, next_url=next_url))
        # Twice: the first render fills the memo, the second is served from it.
        memoised = [without_indentation(app.jinja_env.from_string(QUEUE_PAGINATION).render(
            first_url=first_url, next_url=next_url)) for _ in range(2)]
    assert memoised == [direct, direct]


def test_no_address_is_kept_in_the_memo(app):
    template = app.jinja_env.from_string(QUEUE_PAGINATION)
    memo = app.jinja_env.globals["memoised_component"]
    memo.cache_clear()
    with app.test_request_context("/nurse/queue"):
        first = template.render(first_url=None, next_url="/nurse/queue?after=one")
        second = template.render(first_url=None, next_url="/nurse/queue?after=two")
    assert "after=one" in first and "after=two" in second and "after=one" not in second
    assert (memo.cache_info().misses, memo.cache_info().hits) == (1, 1)


def test_the_second_page_of_links_does_not_run_the_design_systems_template(app):
    """Served from the memo: the package's pagination template is not run again."""
    import sys

    template = app.jinja_env.from_string(QUEUE_PAGINATION)
    ran = []

    def watch(frame, event, _arg):
        if event == "call" and frame.f_code.co_filename.endswith("pagination/template.jinja"):
            ran.append(frame.f_code.co_filename)

    with app.test_request_context("/nurse/queue"):
        template.render(first_url=FIRST, next_url=NEXT)
        sys.setprofile(watch)
        try:
            template.render(first_url=FIRST + "&more", next_url=NEXT + "9")
        finally:
            sys.setprofile(None)
    assert ran == []
