"""Manage your cancer care: the application factory reads as a list of what the app is made of."""
from __future__ import annotations

import base64
import os
from inspect import CO_COROUTINE
from pathlib import Path

from flask import Flask, Request, request
from flask.templating import _default_template_ctx_processor
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader, Undefined
from werkzeug.exceptions import BadRequest
from werkzeug.sansio.http import parse_cookie
from werkzeug.sansio.utils import get_content_length
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from . import untrusted

from config import BASE_DIR, Config, config_for_env, database_url


class App(Flask):
    """Flask, with its check before calling each hook and view made once for each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What ensure_sync gives for each registered hook, context processor, view and error
        # handler: the same every time it is asked.
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        # Flask asks this of every hook, context processor and view, about twenty times a page,
        # through inspect.iscoroutinefunction. A function the app has registered is answered
        # from what was worked out the first time; one made for a single request (Flask's
        # after_this_request) is worked out each time and not kept, or the dict would grow.
        try:
            return self._sync_functions[func]
        except KeyError:
            sync = self._sync_function(func)
            if self._registered(func):
                self._sync_functions[func] = sync
            return sync
        except TypeError:  # a callable that cannot be a key
            return self._sync_function(func)

    def _sync_function(self, func):
        # For a function or method the answer is its code's coroutine flag, read directly;
        # anything else is asked the general way.
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)

    def _registered(self, func) -> bool:
        hooks = (self.before_request_funcs, self.after_request_funcs, self.teardown_request_funcs,
                 self.template_context_processors, self.url_value_preprocessors)
        return (any(func in functions for by_blueprint in hooks for functions in by_blueprint.values())
                or func in self.teardown_appcontext_funcs or func in self.view_functions.values()
                or any(func in handlers.values() for by_code in self.error_handler_spec.values()
                       for handlers in by_code.values()))


def create_app(test_config: dict | None = None, config_class: type[Config] | None = None) -> Flask:
    app = App(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(BASE_DIR / "instance")),
        # Static files are served by WhiteNoise from the asset build (register_static_files).
        static_folder=None,
        template_folder=str(BASE_DIR / "templates"),
    )
    app.config.from_object(config_class or config_for_env())
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(Path(app.instance_path))
    if test_config:
        app.config.update(test_config)
    Config.shared_storage(app.config)
    Config.database_pool(app.config)
    Config.validate(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUST_PROXY_HOPS"]:
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    configure_requests(app)
    configure_templates(app)
    register_static_files(app)
    register_extensions(app)
    register_blueprints(app)
    register_background(app)
    register_security(app)
    register_post_redirect_get(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


class UntrustedInput(BadRequest):
    """A request carrying input no route here can take (see app/untrusted.py): a 400 with
    its own message, in the page or JSON shape the caller expects."""

    custom_detail = True


class IdConverter(IntegerConverter):
    """The app's `<int:...>`: ASCII digits naming a record, 0 to 2^31-1, so that a path id
    the database cannot store is a 404 instead of an overflow error."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=0, max=untrusted.MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class AppRequest(Request):
    """Parsed JSON is checked before any view sees it: control characters in any key or string
    and integers beyond 32 bits are a 400, even for `get_json(silent=True)`. (Nesting depth is
    checked on the raw body for every request, before anything parses it.)"""

    @cached_property
    def cookies(self):
        # Werkzeug's, by the same parser, without looking for the Cookie header through every
        # header of the request (EnvironHeaders.getlist walks them all: ~45 Python calls on every
        # request, as Flask opens the session): under WSGI a request's Cookie headers are the one
        # HTTP_COOKIE key, which Werkzeug joined with ";" from a list of that one.
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)

    def get_json(self, force=False, silent=False, cache=True):
        value = super().get_json(force=force, silent=silent, cache=cache)
        # The parsed document is kept (cache) and read again (a JSON save's idempotency
        # fingerprint, then its view): walked once, the document that passed is known by itself.
        if value is not None and value is self.__dict__.get("_json_checked"):
            return value
        # Walked only when its text (kept: cache) shows it may hold something to refuse.
        if value is not None and (not cache or untrusted.json_text_may_hold_hostile_values(self.get_data(cache=True))):
            if untrusted.json_has_control_characters(value):
                raise UntrustedInput("The data sent contains hidden special characters.")
            if untrusted.json_has_huge_integer(value):
                raise UntrustedInput("The data sent contains a number that is too large.")
        if cache:
            self._json_checked = value
        return value


def configure_requests(app: Flask) -> None:
    from .extensions import FORM_MIMETYPES

    # The converter must be in place before any blueprint adds its rules.
    app.url_map.converters["int"] = IdConverter
    app.request_class = AppRequest

    @app.before_request
    def refuse_hostile_input():
        current = request._get_current_object()  # Flask's proxy looked up once
        # Query strings are never typed text a person needs kept: refuse, do not guess.
        if current.query_string:
            for key, value in current.args.items(multi=True):
                if untrusted.has_control_characters(key) or untrusted.has_control_characters(value):
                    raise UntrustedInput("The web address contains hidden special characters.")
        # Any body that is not a form may be JSON to some parser (the passkey library reads the
        # raw text whatever its type): too deep a document would make that parser recurse.
        if _has_a_body(current) and current.mimetype not in FORM_MIMETYPES:
            if untrusted.json_too_deep(current.get_data(cache=True)):
                raise UntrustedInput("The data sent is nested too deeply.")


def _has_a_body(request: Request) -> bool:
    """A request carries a body only with a Content-Length above 0 or a Transfer-Encoding
    (HTTP/1.1; gunicorn reads nothing otherwise), so a page view has nothing to read. Werkzeug's
    `request.content_length` read from the WSGI keys themselves (its EnvironHeaders look-ups were
    most of this check's calls, on every request)."""
    environ = request.environ
    if "HTTP_TRANSFER_ENCODING" in environ:
        return True
    return bool(get_content_length(environ.get("CONTENT_LENGTH")))


def configure_templates(app: Flask) -> None:
    # The NHS.UK macros need ChainableUndefined; our own templates come first.
    app.jinja_options = {
        **app.jinja_options,
        # Escape everywhere, including the design system's `.jinja` macros: Flask's default
        # only escapes `.html` files, which would print patients' free text raw in a macro.
        "autoescape": True,
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [FileSystemLoader(app.template_folder), PackageLoader("nhsuk_frontend_jinja")]
        ),
    }
    from .bidi import register_bidi_filter
    from .components import make_python_component
    from .forms import register_form_helpers
    from .templating import (FastImportTemplate, layout_page, make_memoised_component, make_nhsuk_attributes,
                             make_template_url_for, personal, register_design_system_macros, staff_menu)
    from .followup.pathway_content import emergency_signs
    from .pathways import pathway_name

    from .timeutil import register_date_filters

    # Before any template is loaded: the design system's macro imports are made cheap (app/templating.py).
    app.jinja_env.template_class = FastImportTemplate
    # The design system's attributes macro, as a function (templates/nhsuk/macros/attributes.jinja).
    app.jinja_env.globals["nhsuk_attributes"] = make_nhsuk_attributes(app.jinja_env)
    # The design system's components as Python functions where they were written for the
    # parameters (app/components; templates/nhsuk/components/<name>/macro.jinja).
    app.jinja_env.globals["python_component"] = make_python_component(app.jinja_env)
    # The header, footer and update notice, rendered once for each shape (app/templating.py).
    app.jinja_env.globals["memoised_component"] = make_memoised_component(app.jinja_env)
    app.jinja_env.globals["personal"] = personal
    # Every page's layout, from that memo (templates/base.html).
    app.jinja_env.globals["layout_page"] = layout_page
    app.jinja_env.globals["staff_menu"] = staff_menu
    # Every template calls the design system's components without importing them (app/templating.py).
    register_design_system_macros(app.jinja_env)
    # Links to endpoints with no values are built once (app/templating.py).
    app.jinja_env.globals["url_for"] = make_template_url_for()
    register_form_helpers(app)
    register_bidi_filter(app)
    register_date_filters(app)
    app.jinja_env.globals["pathway_name"] = pathway_name
    # Read from the bundled content once per process: no query, so fine as a global.
    app.jinja_env.globals["emergency_signs"] = emergency_signs
    # With ChainableUndefined a variable a view forgot to pass is "not none", which once showed
    # a false edit conflict on every page load: treat undefined as none.
    app.jinja_env.tests["none"] = lambda value: value is None or isinstance(value, Undefined)
    app.jinja_env.filters["b64encode"] = lambda text: base64.b64encode(text.encode()).decode()


def register_static_files(app: Flask) -> None:
    from .assets import init_assets
    from .html_whitespace import init_html_whitespace

    init_assets(app)
    # Pages without the templates' indentation (they are sent uncompressed: see the module).
    init_html_whitespace(app)


def register_extensions(app: Flask) -> None:
    from . import models_registry  # noqa: F401  (every table, for Alembic and create_all)
    from .extensions import CookieSessionInterface, csrf, db, limiter, login_manager, migrate, prepare_engine

    db.init_app(app)
    with app.app_context():
        prepare_engine(db.engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # Flask's signed cookie, its serializer made once (app/extensions.py, "signing").
    app.session_interface = CookieSessionInterface()
    limiter.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .careplan import bp as careplan_bp
    from .followup import bp as followup_bp
    from .hna import bp as hna_bp
    from .main import bp as main_bp
    from .messages import bp as messages_bp
    from .nurse import bp as nurse_bp
    from .push import bp as push_bp
    from .reentry import bp as reentry_bp
    from .results import bp as results_bp
    from .symptoms import bp as symptoms_bp

    for bp in (main_bp, auth_bp, hna_bp, nurse_bp, careplan_bp, followup_bp, reentry_bp, messages_bp, symptoms_bp, results_bp, admin_bp, push_bp):
        app.register_blueprint(bp)
    # Each blueprint brings Flask's own context processor (g and request), which the app's
    # already runs for every template: once per render is enough.
    for name in app.blueprints:
        processors = app.template_context_processors.get(name, [])
        processors[:] = [processor for processor in processors if processor is not _default_template_ctx_processor]


def register_background(app: Flask) -> None:
    from .background import init_background

    init_background(app)


def register_security(app: Flask) -> None:
    from .audit import init_access_log_path
    from .security import init_security
    from .sessions import init_sessions

    init_security(app)
    init_sessions(app)
    init_access_log_path(app)


def register_post_redirect_get(app: Flask) -> None:
    from .prg import init_post_redirect_get

    init_post_redirect_get(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from .cli import init_cli

    init_cli(app)
