"""The application factory's own pieces of the request pipeline (app/__init__.py)."""
from __future__ import annotations

import itertools

from flask.templating import _default_template_ctx_processor


def test_a_plain_function_or_method_is_called_as_it_is(app):
    def plain():
        return None

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(app.url_for) == app.url_for


def test_a_coroutine_function_is_still_made_to_run_to_completion(app, monkeypatch):
    async def coroutine():
        return None

    monkeypatch.setattr(app, "async_to_sync", lambda func: ("run to completion", func))
    assert app.ensure_sync(coroutine) == ("run to completion", coroutine)


def test_what_a_registered_function_needs_is_worked_out_once_and_a_per_request_one_is_not_kept(app, client):
    from flask import Response, after_this_request

    assert client.get("/healthz").status_code == 200
    kept = app._sync_functions
    assert app.view_functions["main.health"] in kept
    assert all(function in kept for function in app.after_request_funcs[None])
    ran = []
    for _ in range(2):
        with app.test_request_context():
            @after_this_request
            def for_this_request_only(response):
                ran.append(for_this_request_only)
                return response

            app.process_response(Response())
    assert len(ran) == 2 and ran[0] is not ran[1]
    assert not any(function in kept for function in ran)


def test_a_coroutine_hook_is_made_to_run_to_completion_once_registered(app, monkeypatch):
    async def coroutine_hook(response):
        return response

    monkeypatch.setattr(app, "async_to_sync", lambda func: ("run to completion", func))
    # Registered on the app the tests share, and taken off again with what was worked out for it.
    monkeypatch.setitem(app.after_request_funcs, None, [*app.after_request_funcs.get(None, []), coroutine_hook])
    monkeypatch.setattr(app, "_sync_functions", {})
    assert app.ensure_sync(coroutine_hook) == ("run to completion", coroutine_hook)
    assert app._sync_functions[coroutine_hook] == ("run to completion", coroutine_hook)


def test_flasks_own_context_processor_runs_once_per_template(app):
    registered = [name for name, processors in app.template_context_processors.items()
                  if _default_template_ctx_processor in processors]
    assert registered == [None]


COOKIE_HEADERS = ["", "session=abc", "session=abc; other=1", "a=1; a=2", 'quoted="a b\\"c"; plain=x',
                  "session=caf\xc3\xa9", "  spaced = value ; broken; =nameless; last=1", "x=%41%20y"]


def test_a_requests_cookies_are_werkzeugs(app):
    # AppRequest.cookies reads the one HTTP_COOKIE key directly, by Werkzeug's parser: the same as
    # Werkzeug's own, which looked for Cookie headers through every header.
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    for header in [*COOKIE_HEADERS, None]:
        environ = EnvironBuilder(path="/", headers={"X-Other": "1"}).get_environ()
        if header is not None:
            environ["HTTP_COOKIE"] = header
        ours, werkzeugs = app.request_class(dict(environ)).cookies, Request(dict(environ)).cookies
        assert list(ours.items(multi=True)) == list(werkzeugs.items(multi=True)), header
        assert type(ours) is type(werkzeugs)


def test_a_request_has_a_body_as_werkzeug_reads_its_length(app):
    # _has_a_body reads Content-Length from its WSGI key, as Werkzeug's request.content_length
    # does through the headers: a body when that length is above 0, or with a Transfer-Encoding.
    from werkzeug.test import EnvironBuilder

    from app import _has_a_body

    lengths = [None, "", "0", "5", "abc", "-1", " 7 ", "+3", "1e3", "٣"]
    encodings = [None, "chunked", "gzip", "gzip, chunked"]
    for length, encoding in itertools.product(lengths, encodings):
        environ = EnvironBuilder(path="/", method="POST").get_environ()
        environ.pop("CONTENT_LENGTH", None)
        if length is not None:
            environ["CONTENT_LENGTH"] = length
        if encoding is not None:
            environ["HTTP_TRANSFER_ENCODING"] = encoding
        request = app.request_class(environ)
        assert _has_a_body(request) is (bool(request.content_length) or encoding is not None), (length, encoding)
