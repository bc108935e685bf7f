"""No test takes "today" when tests are collected.

A date computed at import time (a module constant, a parametrize argument, a default argument)
is yesterday's by the time the test runs if the run crosses midnight in London, and CI runs at
any hour: the test then fails, or passes for the wrong reason. Tests take today when they run:
the `today` fixture (tests/conftest.py), InDays in tables of cases (tests/helpers.py), or a
helper that asks for the date when called.

This reads every module under tests/ and finds calls of date.today(), datetime.now(),
datetime.utcnow(), london_today() or utcnow() made at import time, directly or through a
function of the tests' own that makes one; and, anywhere, the server's own date (date.today()):
the app's "today" is London's."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLOCK_CALLS = {"today", "now", "utcnow", "london_today"}


def _name_called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _calls(node: ast.AST, into_functions: bool):
    """Calls inside `node`; a lambda's or a nested function's body runs later, so not in them
    unless `into_functions`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if not into_functions and current is not node and isinstance(
                current, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(current, ast.Call):
            yield current
        stack.extend(ast.iter_child_nodes(current))


def _run_at_import(body: list[ast.stmt]):
    """What a module's import evaluates: its statements, but of a function only its decorators
    (parametrize's arguments) and default arguments, and a class's body."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from statement.decorator_list
            yield from statement.args.defaults
            yield from (default for default in statement.args.kw_defaults if default is not None)
        elif isinstance(statement, ast.ClassDef):
            yield from statement.decorator_list
            yield from statement.bases
            yield from _run_at_import(statement.body)
        else:
            yield statement


def functions_reading_the_clock(modules: list[ast.Module]) -> set[str]:
    """Names of the modules' top-level functions that read the clock, themselves or through
    another such function (by name, across the modules: tests import each other's helpers)."""
    called = {}
    for module in modules:
        for statement in module.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                called.setdefault(statement.name, set()).update(
                    _name_called(call) for line in statement.body for call in _calls(line, into_functions=True))
    reading = set()
    while True:
        more = {name for name, names in called.items() if names & (CLOCK_CALLS | reading)} - reading
        if not more:
            return reading
        reading |= more


def clock_read_at_import(module: ast.Module, reading: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in _run_at_import(module.body):
        for call in _calls(node, into_functions=False):
            name = _name_called(call)
            if name in CLOCK_CALLS or name in reading:
                found.append((call.lineno, name))
    return sorted(found)


def test_no_test_module_reads_the_clock_when_tests_are_collected():
    modules = {path: ast.parse(path.read_text(), str(path)) for path in sorted(TESTS.rglob("*.py"))}
    reading = functions_reading_the_clock(list(modules.values()))
    found = [f"{path.relative_to(TESTS.parent)}:{line}: {name}()"
             for path, module in modules.items() for line, name in clock_read_at_import(module, reading)]
    assert found == [], ("today taken at collection time; take it when the test runs (the `today` "
                         "fixture, InDays in parametrize tables):\n" + "\n".join(found))


def server_dates(module: ast.Module) -> list[int]:
    """Lines asking for the server's own date or local time (date.today(), datetime.today(),
    datetime.now() without a zone): the app's dates are London's, which differ from a UTC
    server's from 11pm to midnight in summer."""
    return sorted(
        call.lineno for call in ast.walk(module)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name) and call.func.value.id in ("date", "datetime")
        and (call.func.attr == "today" or (call.func.attr == "now" and not call.args and not call.keywords)))


def test_no_test_takes_the_servers_date_for_londons():
    found = [f"{path.relative_to(TESTS.parent)}:{line}" for path in sorted(TESTS.rglob("*.py"))
             for line in server_dates(ast.parse(path.read_text(), str(path)))]
    assert found == [], "the server's date, not London's: use the `today` fixture or london_today():\n" + "\n".join(found)


@pytest.mark.parametrize("source, lines", [
    ("due = date.today()", [1]),
    ("x = 1\nstamp = datetime.today()", [2]),
    ("moment = datetime.now()", [1]),
    ("moment = datetime.now(timezone.utc)", []),
    ("moment = datetime.now(tz=LONDON)", []),
    ("due = london_today()", []),
    ("def test_x(today):\n    assert today", []),
])
def test_the_servers_date_is_found(source, lines):
    assert server_dates(ast.parse(source)) == lines


def _found(source: str) -> list[str]:
    module = ast.parse(source)
    return [name for _line, name in clock_read_at_import(module, functions_reading_the_clock([module]))]


@pytest.mark.parametrize("source, found", [
    ("TODAY = date.today()", ["today"]),
    ("TOMORROW = london_today() + timedelta(days=1)", ["london_today"]),
    ("NOW = datetime.now(timezone.utc)", ["now"]),
    ("from app import timeutil\nSTARTED = timeutil.utcnow()", ["utcnow"]),
    ("CASES = [(date.today().year + 1, 'in the future')]", ["today"]),
    ("@pytest.mark.parametrize('when', [london_today()])\ndef test_x(when): pass", ["london_today"]),
    ("def make(due=date.today()): pass", ["today"]),
    ("def make(*, due=london_today()): pass", ["london_today"]),
    ("class Cases:\n    DUE = date.today()", ["today"]),
    # Through a helper, however deep.
    ("def soon():\n    return london_today() + timedelta(days=3)\nSOON = soon()", ["soon"]),
    ("def a():\n    return date.today()\ndef b():\n    return a()\n"
     "@pytest.mark.parametrize('d', [b()])\ndef test_x(d): pass", ["b"]),
    # At run time: fine.
    ("def test_x():\n    assert london_today()", []),
    ("def test_x(today):\n    due = today + timedelta(days=1)", []),
    ("@pytest.mark.parametrize('when', [lambda: date.today()])\ndef test_x(when): pass", []),
    ("@pytest.mark.parametrize('when', [InDays(1), InDays(-3)])\ndef test_x(when, today): pass", []),
    ("def make(due=None):\n    due = due or london_today()", []),
    ("def soon():\n    return london_today()\ndef test_x():\n    assert soon()", []),
    ("FIXED = date(2030, 6, 15)", []),
])
def test_the_check_finds_the_clock_read_at_import_and_only_there(source, found):
    assert _found(source) == found
