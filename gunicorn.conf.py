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
import time


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


# ---- Measuring served requests, for bench/pages.py --profile-served only (BENCH_PROFILE_DIR set;
# without it these hooks do nothing). From when the bench makes the file `start` in that folder
# (after its warm-up), each worker counts its requests, the CPU time its threads spent inside the
# app and the CPU time of the whole worker; with BENCH_CPROFILE=1 it also runs cProfile, counting
# CPU time, in its main thread (the poller that accepts and hands out connections) and in every
# thread that handles requests. Each worker writes them to that folder when it exits.


def post_worker_init(worker):
    if os.environ.get("BENCH_PROFILE_DIR"):
        _measure_served_requests(worker, os.environ["BENCH_PROFILE_DIR"])


def worker_exit(server, worker):
    measured = getattr(worker, "bench_measured", None)
    if measured is None or not measured["started"]:
        return
    import json

    folder = os.environ["BENCH_PROFILE_DIR"]
    for number, profile in enumerate(measured.pop("profiles")):
        profile.disable()
        profile.dump_stats(os.path.join(folder, f"{worker.pid}-{number}.prof"))
    measured["worker_cpu"] = time.process_time() - measured.pop("cpu_at_start")
    del measured["lock"]
    with open(os.path.join(folder, f"{worker.pid}.json"), "w") as file:
        json.dump(measured, file)


def _measure_served_requests(worker, folder: str) -> None:
    import cProfile
    import threading

    from gunicorn.workers.gthread import ThreadWorker

    start_file = os.path.join(folder, "start")
    cprofile = os.environ.get("BENCH_CPROFILE") == "1" and isinstance(worker, ThreadWorker)
    measured = worker.bench_measured = {"started": False, "requests": 0, "in_app_cpu": 0.0, "cpu_at_start": 0.0,
                                        "profiles": [], "lock": threading.Lock()}
    each_thread = threading.local()

    def started() -> bool:
        if not measured["started"] and os.path.exists(start_file):
            with measured["lock"]:
                if not measured["started"]:
                    measured["cpu_at_start"] = time.process_time()
                    measured["started"] = True
        return measured["started"]

    def profile_of_this_thread():
        profile = getattr(each_thread, "profile", None)
        if profile is None:
            # time.thread_time: this thread's CPU, not its waits (for the GIL among them).
            profile = each_thread.profile = cProfile.Profile(time.thread_time)
            with measured["lock"]:
                measured["profiles"].append(profile)
        return profile

    app = worker.wsgi

    def measured_app(environ, start_response):
        if not started():
            return app(environ, start_response)
        before = time.thread_time()
        try:
            return app(environ, start_response)
        finally:
            spent = time.thread_time() - before
            with measured["lock"]:
                measured["requests"] += 1
                measured["in_app_cpu"] += spent

    worker.wsgi = measured_app
    if not cprofile:
        return
    handle, dispatch = worker.handle, worker.wait_for_and_dispatch_events

    def profiled_handle(conn):
        if not started():
            return handle(conn)
        profile = profile_of_this_thread()
        profile.enable()
        try:
            return handle(conn)
        finally:
            profile.disable()

    def profiled_dispatch(timeout):
        if started():
            profile_of_this_thread().enable()  # the main thread's stays on from then
        return dispatch(timeout)

    worker.handle, worker.wait_for_and_dispatch_events = profiled_handle, profiled_dispatch
