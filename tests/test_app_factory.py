"""The application factory's own pieces of the request pipeline (app/__init__.py)."""
from __future__ import annotations

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
