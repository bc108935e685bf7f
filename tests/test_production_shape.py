"""The production shape (issue 12): the Procfile's processes start, serve and stop under honcho,
and compose.yaml describes the same processes beside PostgreSQL and Redis."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from app.triage.queue import ItemKind
from tests.servers import free_port, stop_process_group, sweep_queued_from_here
from tests.symptoms.helpers import clock, log_a_symptom_the_daily_sweep_raises  # noqa: F401  (clock is a fixture)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# Everything honcho starts is gone by then whatever happens (`timeout` kills it).
HARD_TIMEOUT_SECONDS = 120


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_procfile_has_the_web_workers_and_one_consumer():
    processes = {name: shlex.split(command) for name, command in procfile().items()}

    assert set(processes) == {"web", "worker"}
    assert processes["web"][:2] == ["exec", "gunicorn"] and processes["web"][-1] == "wsgi:app"
    assert "--timeout" in processes["web"] and "--graceful-timeout" in processes["web"]
    assert processes["worker"][:6] == ["exec", "flask", "--app", "wsgi", "tasks", "consume"]


def test_compose_runs_the_procfile_processes_beside_postgresql_and_redis():
    services = compose()["services"]

    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    for name, command in procfile().items():
        # `$$` is compose's escape for a `$` the shell inside the container expands.
        assert [part.replace("$$", "$") for part in services[name]["command"]] == ["sh", "-c", command.strip()]
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert environment["APP_ENV"] == "production"
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    assert services["worker"]["deploy"]["replicas"] == 1



# What the running app never reads: developers' and CI's files, and Node.js's (the static files
# are built from them in the image's first stage).
NOT_IN_THE_IMAGE = {".ci", ".gitignore", "README.md", "SECURITY.md", "bench", "compose.yaml", "docs",
                    "Dockerfile", "package-lock.json", "package.json", "pyproject.toml", "scripts", "tests"}


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions (name, arguments), continued lines joined, stage by stage."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, arguments = line.strip().partition(" ")
        if name == "FROM":
            stages.append([])
        stages[-1].append((name, arguments))
    return stages


def test_the_image_sets_up_as_scripts_setup_does_and_holds_everything_the_app_reads():
    build, running = dockerfile_stages()
    setup = (ROOT / "scripts" / "setup").read_text()
    build_steps = " ".join(arguments for name, arguments in build if name == "RUN")
    for step in ("npm ci --no-audit --no-fund --loglevel=error", "scripts/build_assets.py"):
        assert step in setup and step in build_steps

    # Every file and folder of the repository that the running app reads, and the built files.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    top_level = {path.split("/")[0] for path in tracked.stdout.splitlines()}
    copied = set()
    for name, arguments in running:
        if name == "COPY":
            sources = [part for part in arguments.split()[:-1] if not part.startswith("--")]
            copied |= {source.removeprefix("/app/") for source in sources if source != "/venv"}
    assert copied == (top_level - NOT_IN_THE_IMAGE) | {"built"}
    assert ("COPY", "--from=build /venv /venv") in running  # the packages, without Node.js

    # It runs the Procfile's web line, read from the Procfile.
    command = dict(running)["CMD"]
    assert "Procfile" in command and "^web: " in command
    assert compose()["x-app"]["build"] == "."


# postgres:16's defaults (compose.yaml changes neither): connections in all, and those kept for a
# superuser (an administrator's psql when everything else is in use).
POSTGRES_MAX_CONNECTIONS = 100
POSTGRES_RESERVED_CONNECTIONS = 3


def _shell_default(command: str, variable: str) -> int:
    return int(re.search(r"\$\{" + variable + r":-(\d+)\}", command)[1])


def _pool_size_in(monkeypatch, environment: dict[str, str]) -> int:
    from app import create_app

    for name in ("WEB_THREADS", "TASK_WORKERS", "DATABASE_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://mycc@postgres/mycc"})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["max_overflow"] == 0, "a pool that may grow has no bound to add up"
    return options["pool_size"]


def test_every_process_pool_together_fits_postgresqls_connections(monkeypatch, tmp_path):
    """compose.yaml's deployment at its defaults, every pool full at once (README, production:
    the sum, and how many more web processes it leaves room for)."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    commands, services = procfile(), compose()["services"]
    assert "max_connections" not in " ".join(services["postgres"].get("command") or [])
    web_workers = _shell_default(commands["web"], "WEB_CONCURRENCY")
    web_threads = _shell_default(commands["web"], "WEB_THREADS")
    task_threads = _shell_default(commands["worker"], "TASK_WORKERS")
    # Each process reads the variables it is started with (compose sets TASK_WORKERS for the
    # consumer only; the web workers take the shell's default).
    web_pool = _pool_size_in(monkeypatch, {"WEB_CONCURRENCY": str(web_workers)})
    assert "TASK_WORKERS" in services["worker"]["environment"] and "WEB_THREADS" not in services["web"]["environment"]
    consumer_pool = _pool_size_in(monkeypatch, {"TASK_WORKERS": str(task_threads)})

    assert web_pool >= web_threads and consumer_pool >= task_threads, "every thread finds a connection"
    needed = web_workers * web_pool + consumer_pool
    assert needed <= POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED_CONNECTIONS


@pytest.mark.servers
def test_honcho_starts_the_web_workers_and_the_consumer_which_serve_and_stop(app, patient, clock, database_url,  # noqa: F811
                                                                            tmp_path):
    """As CI's smoke test of the Procfile: gunicorn's workers answer /healthz, a task queued by
    another process (as the web queues them) is run by the consumer, and SIGTERM stops all."""
    log_a_symptom_the_daily_sweep_raises(patient, clock)
    queue_file = tmp_path / "huey.sqlite"
    no_dotenv = tmp_path / "empty.env"
    no_dotenv.write_text("")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "FLASK_APP"}}
    env.update({"PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", "DATABASE_URL": database_url,
                "SECRET_KEY": "honcho-smoke-test-secret-key-0123456789", "APP_ENV": "development",
                "HUEY_SQLITE_PATH": str(queue_file), "INSTANCE_PATH": str(tmp_path / "instance"),
                "BIND_HOST": "127.0.0.1", "WEB_CONCURRENCY": "2", "TASK_WORKERS": "1",
                "PYTHONUNBUFFERED": "1"})
    honcho = subprocess.Popen(
        ["timeout", str(HARD_TIMEOUT_SECONDS), str(VENV_BIN / "honcho"), "--procfile", "Procfile",
         "--app-root", str(ROOT), "--env", str(no_dotenv), "start", "--port", str(port), "web", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", honcho)
        # This process queues into the consumer's file, as a web worker does.
        raised = sweep_queued_from_here(app, database_url, tmp_path, HUEY_SQLITE_PATH=str(queue_file))
        # honcho passes SIGTERM on to every process and waits for them.
        honcho.send_signal(signal.SIGTERM)
        output, _ = honcho.communicate(timeout=30)
    finally:
        stop_process_group(honcho)
    assert health == (200, b'"status":"ok"'), output
    assert raised == [ItemKind.RED_FLAG], output
    assert "web.1    | " in output and "worker.1 | Task consumer: 1 worker" in output, output
    assert "web.1 stopped (rc=0)" in output and "worker.1 stopped (rc=0)" in output, output


def _wait_for_health(url: str, process: subprocess.Popen) -> tuple[int, bytes]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read()
                return response.status, b'"status":"ok"' if b'"status":"ok"' in body else body
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return 0, b"no answer"



def _gunicorn_hooks() -> dict:
    import runpy

    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_before_forking_the_master_compiles_every_template_and_keeps_no_database_connection(app):
    from types import SimpleNamespace

    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()  # the connection goes back to the pool, where a fork would copy it
        assert db.engine.pool.checkedin() == 1
    app.jinja_env.cache.clear()
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), app=SimpleNamespace(wsgi=lambda: app))

    _gunicorn_hooks()["when_ready"](server)

    assert len(app.jinja_env.cache) == len(app.jinja_env.list_templates()) > 100
    with app.app_context():
        assert db.engine.pool.checkedin() == 0


def test_without_preload_the_master_leaves_the_app_to_each_worker():
    from types import SimpleNamespace

    def made_in_the_master():
        raise AssertionError("the master made the app")

    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=False), app=SimpleNamespace(wsgi=made_in_the_master))

    _gunicorn_hooks()["when_ready"](server)


def test_the_web_process_preloads_the_app_with_the_hooks_file():
    web = shlex.split(procfile()["web"])

    assert "--preload" in web and web[web.index("--config") + 1] == "gunicorn.conf.py"


def test_without_bench_profile_dir_the_workers_are_not_measured(monkeypatch):
    from types import SimpleNamespace

    monkeypatch.delenv("BENCH_PROFILE_DIR", raising=False)
    app, handle = object(), object()
    worker = SimpleNamespace(wsgi=app, handle=handle)
    hooks = _gunicorn_hooks()

    hooks["post_worker_init"](worker)
    hooks["worker_exit"](None, worker)

    assert worker.wsgi is app and worker.handle is handle and not hasattr(worker, "bench_measured")


# ---------------------------------------------------------------- the access log (gunicorn.conf.py)


def _serve_with_the_procfiles_web_command(app, database_url: str, tmp_path: Path, paths: list[str]) -> str:
    """gunicorn started by the Procfile's `web` command (one worker) with the test app's database
    and secret key, each of `paths` requested once, and then stopped: what it wrote to stdout
    and stderr, its access log among it."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "FLASK_APP"}}
    env.update({"PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", "DATABASE_URL": database_url,
                "SECRET_KEY": app.config["SECRET_KEY"], "APP_ENV": "development",
                "INSTANCE_PATH": str(tmp_path / "instance"), "BIND_HOST": "127.0.0.1", "PORT": str(port),
                "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "gunicorn.out"
    with log.open("w") as out:
        server = subprocess.Popen(["timeout", str(HARD_TIMEOUT_SECONDS), "sh", "-c", procfile()["web"].strip()],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert _wait_for_health(f"http://127.0.0.1:{port}/healthz", server)[0] == 200, log.read_text()
        opener = urllib.request.build_opener(_NoRedirects)
        for path in paths:
            try:
                opener.open(f"http://127.0.0.1:{port}{path}", timeout=10).read()
            except urllib.error.HTTPError:
                pass  # a redirect or a 404 is logged as any answer
    finally:
        stop_process_group(server)
    return log.read_text()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.servers
def test_the_access_log_never_prints_an_invitation_links_secret(app, actors, database_url, tmp_path):
    """Nobody reading the server's log can use an invitation link in it: the line carries the
    link's pattern, as the audit log does (app/audit.py), and no query string."""
    from tests.auth import invite

    invitation = invite(app, actors.patient_a)

    output = _serve_with_the_procfiles_web_command(
        app, database_url, tmp_path, [invitation.link, "/enrol/not-a-real-token-0123456789", "/healthz?sent=1"])

    assert invitation.token not in output and "not-a-real-token" not in output, output
    assert '"GET /enrol/<token> HTTP/1.1" 302 ' in output, output
    assert '"GET /enrol/<token> HTTP/1.1" 404 ' in output, output
    assert '"GET /healthz HTTP/1.1" 200 ' in output and "sent=1" not in output, output


@contextmanager
def _gunicorn_logger(tmp_path: Path, accesslog: bool = True):
    """gunicorn.conf.py's logger as gunicorn makes it, with `--access-logfile <a file>` or without
    one; its handlers are closed and removed afterwards (they are on logging's global loggers)."""
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("logger_class", _gunicorn_hooks()["logger_class"])
    cfg.set("accesslog", str(tmp_path / "access.log") if accesslog else None)
    cfg.set("errorlog", str(tmp_path / "error.log"))
    logger = cfg.logger_class(cfg)
    try:
        yield logger
    finally:
        for log in (logger.access_log, logger.error_log):
            for handler in [handler for handler in log.handlers if getattr(handler, "_gunicorn", False)]:
                log.removeHandler(handler)
                handler.close()


@pytest.fixture
def access_log(tmp_path):
    """The logger with `--access-logfile <a file>`, and that file."""
    with _gunicorn_logger(tmp_path) as logger:
        yield logger, tmp_path / "access.log"


def _served(path: str | None, raw_uri: str = "/as-sent?x=1", **environ):
    from datetime import timedelta
    from types import SimpleNamespace

    from app.audit import ACCESS_LOG_PATH

    resp = SimpleNamespace(status="404 NOT FOUND", status_code=404, sent=4184,
                           headers=[("Set-Cookie", "session=response-cookie")])
    req = SimpleNamespace(headers=[("COOKIE", "session=request-cookie")])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": raw_uri, "PATH_INFO": raw_uri.partition("?")[0],
               "QUERY_STRING": raw_uri.partition("?")[2], "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_COOKIE": "session=request-cookie", "HTTP_USER_AGENT": "Agent/1.0", "HTTP_REFERER": "http://x/enrol/abc",
               **({ACCESS_LOG_PATH: path} if path is not None else {}), **environ}
    return resp, req, environ, timedelta(microseconds=2114)


def test_the_access_log_prints_the_path_the_app_left_and_nothing_personal(access_log):
    logger, written = access_log

    logger.access(*_served("/enrol/<token>", raw_uri="/enrol/the-secret?name=Ann"))

    line = written.read_text()
    assert re.fullmatch(r'203\.0\.113\.9 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                        r'"GET /enrol/<token> HTTP/1\.1" 404 4184 2\.114ms\n', line), line


def test_a_request_the_app_never_saw_is_logged_with_its_path_as_sent_without_the_query(access_log):
    logger, written = access_log

    logger.access(*_served(None, raw_uri="/static/app.js?v=1"))

    assert '"GET /static/app.js HTTP/1.1" 404 4184 2.114ms\n' in written.read_text()


@pytest.mark.parametrize("path, printed", [
    ("/a\nb", "/a\\nb"),  # a line break would start a line of the sender's choosing
    ('/a" 200 1 "b', '/a\\" 200 1 \\"b'),
    ("/caf\u00e9\\", "/caf\\xe9\\\\"),
])
def test_a_path_is_printed_on_one_line_in_ascii_and_inside_its_quotes(access_log, path, printed):
    logger, written = access_log

    logger.access(*_served(path))

    assert f'"GET {printed} HTTP/1.1" 404' in written.read_text()
    assert written.read_text().count("\n") == 1


def test_a_log_set_up_with_other_handlers_is_given_the_same_line_through_logging(tmp_path):
    import logging

    received = []
    handler = logging.Handler()
    handler.emit = lambda record: received.append(record.getMessage())
    logging.getLogger("gunicorn.access").addHandler(handler)  # as --log-config would
    try:
        with _gunicorn_logger(tmp_path) as logger:
            logger.access(*_served("/my-care"))
    finally:
        logging.getLogger("gunicorn.access").removeHandler(handler)

    assert len(received) == 1 and received[0] + "\n" == (tmp_path / "access.log").read_text()


def test_without_an_access_log_nothing_is_written(tmp_path):
    with _gunicorn_logger(tmp_path, accesslog=False) as logger:
        logger.access(*_served("/my-care"))

    assert not (tmp_path / "access.log").exists()


def test_the_access_log_reads_the_key_the_app_writes():
    from app.audit import ACCESS_LOG_PATH

    assert _gunicorn_hooks()["ACCESS_LOG_PATH"] == ACCESS_LOG_PATH
