"""gunicorn's hook for the web process. The Procfile's `web` command names this file and holds
the settings (bench/pages.py serves the app with that same command line).

With `--preload` gunicorn makes the app once, in its master process, before forking the workers.
`when_ready` then compiles every template there, so that the workers start with them compiled and
share that memory, instead of each compiling a page's templates the first time it is asked for
(about 75 ms of CPU a page: a new worker's first requests were the slowest, and a worker replaced
after `--max-requests` started cold again). The database pool is emptied last: a connection
opened while making the app must never be shared by two forked workers.
"""


def when_ready(server):
    if server.cfg.preload_app:
        ready_to_fork(server.app.wsgi())


def ready_to_fork(app) -> None:
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    if "sqlalchemy" in app.extensions:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
