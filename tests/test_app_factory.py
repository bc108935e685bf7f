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


def test_flasks_own_context_processor_runs_once_per_template(app):
    registered = [name for name, processors in app.template_context_processors.items()
                  if _default_template_ctx_processor in processors]
    assert registered == [None]
