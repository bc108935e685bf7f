"""gunicorn's hook for the web process. The Procfile's `web` command names this file and holds
the settings (bench/pages.py serves the app with that same command line).

With `--preload` gunicorn makes the app once, in its master process, before forking the workers.
`when_ready` then compiles every template there, so that the workers start with them compiled and
share that memory, instead of each compiling a page's templates the first time it is asked for
(about 75 ms of CPU a page: a new worker's first requests were the slowest, and a worker replaced
after `--max-requests` started cold again). The database pool is emptied last: a connection
opened while making the app must never be shared by two forked workers.
"""


import os


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


# ---- Profiling a served worker, for bench/pages.py --profile-served only (BENCH_PROFILE_DIR set):
# cProfile in each worker's main thread (accepting and handing out connections) and in every
# thread that handles requests, each thread's written to that folder when the worker exits.
# Without the variable these hooks do nothing.


def post_worker_init(worker):
    if os.environ.get("BENCH_PROFILE_DIR"):
        _profile_every_thread(worker)


def worker_exit(server, worker):
    for number, profile in enumerate(getattr(worker, "bench_profiles", [])):
        profile.disable()
        profile.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{worker.pid}-{number}.prof"))


def _profile_every_thread(worker) -> None:
    import cProfile
    import threading

    from gunicorn.workers.gthread import ThreadWorker

    main_thread = cProfile.Profile()
    worker.bench_profiles = [main_thread]
    if isinstance(worker, ThreadWorker):
        # A thread's profile is its own: the pool's threads each get one around every request.
        handle = worker.handle
        each_thread = threading.local()

        def profiled_handle(*args):
            profile = getattr(each_thread, "profile", None)
            if profile is None:
                profile = each_thread.profile = cProfile.Profile()
                worker.bench_profiles.append(profile)
            profile.enable()
            try:
                return handle(*args)
            finally:
                profile.disable()

        worker.handle = profiled_handle
    main_thread.enable()
