"""The browser tests' waits can fail: page.wait_for_function takes a promise as true at once, so
a predicate that is async (or returns a promise) passes without checking anything. Such waits go
through tests/e2e/conftest.py wait_until, which polls page.evaluate from Python."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parent / "e2e"
PROMISE = re.compile(r"\basync\b|\bawait\b|\.then\(|\bPromise\b|\bfetch\(|\bcaches\.|indexedDB|getRegistration")


def module_strings(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def predicate_text(node: ast.expr, strings: dict[str, str]) -> str | None:
    """The JavaScript a wait_for_function call runs, or None when it is not spelled out here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [predicate_text(value.value if isinstance(value, ast.FormattedValue) else value, strings)
                 for value in node.values]
        return None if None in parts else "".join(parts)
    return None


def waits_for_function(source: str) -> list[tuple[int, str | None]]:
    tree = ast.parse(source)
    strings = module_strings(tree)
    return [
        (call.lineno, predicate_text(call.args[0], strings) if call.args else None)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "wait_for_function"
    ]


def promise_waits(source: str) -> list[int]:
    return [line for line, text in waits_for_function(source) if text is None or PROMISE.search(text)]


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('page.wait_for_function("() => navigator.onLine")', []),
        ('page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)', []),
        ('page.wait_for_function("async () => (await caches.keys()).length === 1")', [1]),
        ('page.wait_for_function("() => navigator.serviceWorker.ready.then(r => r.active)")', [1]),
        ('page.wait_for_function("() => new Promise(resolve => resolve(false))")', [1]),
        ('KEPT = "() => 1"\npage.wait_for_function(f"async () => ({KEPT})() === 0")', [2]),
        ('KEPT = "async () => 1"\npage.wait_for_function(KEPT)', [2]),
        ('CONTROLLED = "() => navigator.serviceWorker.controller !== null"\npage.wait_for_function(CONTROLLED)', []),
        # Not spelled out here, so not provably synchronous.
        ("page.wait_for_function(make_predicate())", [1]),
    ],
)
def test_a_wait_on_a_promise_is_found(source, flagged):
    assert promise_waits(source) == flagged


@pytest.mark.parametrize("path", sorted(E2E.glob("*.py")), ids=lambda path: path.name)
def test_no_browser_test_waits_on_a_promise_with_wait_for_function(path):
    assert promise_waits(path.read_text()) == [], f"{path.name}: use wait_until from tests/e2e/conftest.py"
