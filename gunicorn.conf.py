"""gunicorn's hook for the web process. The Procfile's `web` command names this file and holds
the settings (bench/pages.py serves the app with that same command line).

With `--preload` gunicorn makes the app once, in its master process, before forking the workers.
`when_ready` then compiles every template there, so that the workers start with them compiled and
share that memory, instead of each compiling a page's templates the first time it is asked for
(about 75 ms of CPU a page: a new worker's first requests were the slowest, and a worker replaced
after `--max-requests` started cold again). The database pool is emptied last: a connection
opened while making the app must never be shared by two forked workers.

`logger_class` is gunicorn's logger with its own access log line (`AccessLog`, below).
"""


import logging
import os
import time
import traceback

from gunicorn.glogging import Logger


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


# ---- The access log (`--access-logfile`, Procfile): one line a request, Apache's common log
# format with the time taken added:
#   127.0.0.1 - - [07/Dec/2026:06:31:37 +0000] "GET /enrol/<token> HTTP/1.1" 302 227 2.114ms
# remote address (the client's, behind a proxy the app trusts: ProxyFix sets it), time, request
# line, status, bytes of the response sent, time taken. The path is the one the app left in the
# environ (app/audit.py, ACCESS_LOG_PATH: an invitation link's pattern, never its secret, as in
# the audit log); a request the app never saw (a static file WhiteNoise sent) has its path as
# sent. Left out on purpose: the query string (no secret travels in one today, but the audit
# log's search carries a patient's name or NHS number, and running the service needs none), the referrer
# (a page reached from an invitation link's page has that link as its referrer) and the user
# agent (a device fingerprint kept beside the address and time, for no use here).
# Why its own class: gunicorn's `Logger.access` builds a dict of every request header, response
# header and environ entry for each request (about 48 µs, a third of gunicorn's CPU around a
# page), then logging's record; this builds the one string and writes it.

ACCESS_LOG_PATH = "mycc.path_without_secrets"  # app/audit.py's


class AccessLog(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # gunicorn's own handlers for --access-logfile (a file, or stdout for "-") print the bare
        # message, so the line can be written to them directly, under their lock as logging
        # would; any other set-up (syslog, --log-config) is given it through logging.
        handlers = self.access_log.handlers
        self._write_directly = bool(handlers) and not self.access_log.propagate and not self.access_log.filters \
            and all(type(handler) in (logging.StreamHandler, logging.FileHandler)
                    and getattr(handler, "_gunicorn", False) and not handler.filters for handler in handlers)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            line = access_line(resp, environ, request_time, self.now())
            if not self._write_directly:
                self.access_log.info("%s", line)
                return
            for handler in self.access_log.handlers:
                # The stream is read each time: reopening the log files (SIGUSR1) replaces it.
                with handler.lock:
                    handler.stream.write(line + "\n")
                    handler.stream.flush()
        except Exception:
            self.error(traceback.format_exc())


def access_line(resp, environ, request_time, now: str) -> str:
    path = environ.get(ACCESS_LOG_PATH)
    if path is None:
        path = environ.get("RAW_URI", "").partition("?")[0]
    if not (path.isascii() and path.isprintable()) or '"' in path or "\\" in path:
        # The app's path is decoded: a line break or a quote in it must not end the line or the
        # field, and the log stays ASCII.
        path = path.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    status = getattr(resp, "status_code", None) or "-"
    milliseconds = request_time.seconds * 1000 + request_time.microseconds / 1000
    return (f'{environ.get("REMOTE_ADDR") or "-"} - - {now} '
            f'"{environ["REQUEST_METHOD"]} {path} {environ["SERVER_PROTOCOL"]}" {status} {resp.sent} {milliseconds:.3f}ms')


logger_class = AccessLog


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
