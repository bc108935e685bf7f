"""The hazard log and the tests agree: every hazard is proved by a test, every test that says it
proves a hazard names one in the log, and every test the log cites exists and says so.

Read from the source (no collection, no imports), so it is quick and sees the browser tests too.
A test names its hazard with `@pytest.mark.hazard("HAZ-NNN")` on the test or its class, or with
a module's `pytestmark`; the log cites tests by node id without parameters, in backticks.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
HAZARD_ID = re.compile(r"HAZ-\d{3}")
CITED_TEST = re.compile(r"`(tests/[\w/]+\.py::[\w:]+)`")


def hazard_marks(node: ast.AST) -> list[str]:
    """The ids in every `pytest.mark.hazard("HAZ-NNN")` inside `node`."""
    return [
        call.args[0].value
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("mark.hazard")
        and call.args and isinstance(call.args[0], ast.Constant)
    ]


def marks_in_file(path: Path, root: Path = ROOT) -> dict[str, set[str]]:
    """Each test in the file (by node id) and the hazards it is marked as proving."""
    tree = ast.parse(path.read_text())
    module_marks = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            module_marks |= set(hazard_marks(node.value))
    name = path.relative_to(root).as_posix()
    found = {}

    def visit(body, prefix: str, inherited: set[str]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                marks = {m for d in node.decorator_list for m in hazard_marks(d)}
                visit(node.body, f"{prefix}::{node.name}", inherited | marks)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                marks = {m for d in node.decorator_list for m in hazard_marks(d)}
                found[f"{prefix}::{node.name}"] = inherited | marks

    visit(tree.body, name, module_marks)
    return found


@pytest.fixture(scope="module")
def marked() -> dict[str, set[str]]:
    tests = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tests.update(marks_in_file(path))
    return tests


@pytest.fixture(scope="module")
def log_text() -> str:
    return LOG.read_text()


@pytest.fixture(scope="module")
def hazards(log_text) -> set[str]:
    """The hazards the log defines: each has its own `### HAZ-NNN` section."""
    return set(re.findall(r"^### (HAZ-\d{3})\b", log_text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def cited(log_text) -> dict[str, set[str]]:
    """The tests each hazard's section cites."""
    tests = defaultdict(set)
    for section in re.split(r"^(?=### HAZ-\d{3}\b)", log_text, flags=re.MULTILINE)[1:]:
        hazard = HAZARD_ID.match(section[4:]).group(0)
        tests[hazard] |= set(CITED_TEST.findall(section))
    return tests


def test_the_log_defines_the_hazards_it_was_started_with(hazards):
    assert {f"HAZ-{n:03d}" for n in range(1, 15)} <= hazards


def test_every_hazard_in_the_log_has_a_test_marked_as_proving_a_control(marked, hazards):
    proved = set().union(*marked.values())
    assert sorted(hazards - proved) == []


def test_every_hazard_marker_names_a_hazard_in_the_log(marked, hazards):
    unknown = {test: sorted(marks - hazards) for test, marks in marked.items() if marks - hazards}
    assert unknown == {}


def test_every_test_the_log_cites_exists_and_is_marked_with_that_hazard(marked, cited):
    wrong = {
        test: "no such test" if test not in marked else f"not marked {hazard}"
        for hazard, tests in cited.items()
        for test in tests
        if hazard not in marked.get(test, set())
    }
    assert wrong == {}


def test_every_hazard_cites_at_least_one_test(hazards, cited):
    assert sorted(h for h in hazards if not cited.get(h)) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('@pytest.mark.hazard("HAZ-001")\ndef test_a(): pass\ndef test_b(): pass',
         {"::test_a": {"HAZ-001"}, "::test_b": set()}),
        ('pytestmark = pytest.mark.hazard("HAZ-002")\ndef test_a(): pass',
         {"::test_a": {"HAZ-002"}}),
        ('pytestmark = [pytest.mark.browser, pytest.mark.hazard("HAZ-002")]\n'
         '@pytest.mark.hazard("HAZ-003")\ndef test_a(): pass',
         {"::test_a": {"HAZ-002", "HAZ-003"}}),
        ('@pytest.mark.hazard("HAZ-004")\nclass TestX:\n    @pytest.mark.hazard("HAZ-005")\n    def test_a(self): pass',
         {"::TestX::test_a": {"HAZ-004", "HAZ-005"}}),
        ('def helper(): pass\nclass Helper:\n    def test_not_collected(self): pass',
         {}),
    ],
)
def test_markers_are_read_from_tests_classes_and_modules(tmp_path, source, expected):
    path = tmp_path / "test_example.py"
    path.write_text(source)
    found = {test.removeprefix("test_example.py"): marks for test, marks in marks_in_file(path, tmp_path).items()}
    assert found == expected


MATRIX = {  # likelihood: ratings for Minor, Significant, Considerable, Major, Catastrophic
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
RATING = re.compile(
    r"\*\*(Initial|Residual) risk:\*\* severity (\w+), likelihood (Very high|High|Medium|Low|Very low)"
    r"[^*]*\*\*(\d)\*\*"
)


def test_every_risk_rating_is_the_matrixs_for_its_severity_and_likelihood(log_text, hazards):
    ratings = RATING.findall(log_text)
    assert len(ratings) == 2 * len(hazards)  # an initial and a residual risk for each hazard
    wrong = [
        f"{when} {severity}/{likelihood} rated {rating}"
        for when, severity, likelihood, rating in ratings
        if MATRIX[likelihood][SEVERITIES.index(severity)] != int(rating)
    ]
    assert wrong == []


SUMMARY_ROW = re.compile(r"^\| (HAZ-\d{3}) \| (.+?) \| (\d) \| (\d) \| (.+?) \|$", flags=re.MULTILINE)


@pytest.fixture(scope="module")
def summary(log_text) -> dict[str, tuple[str, int, int]]:
    """The summary table's rows: each hazard's title, initial risk and residual risk."""
    table = log_text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    return {hazard: (title, int(initial), int(residual)) for hazard, title, initial, residual, _ in SUMMARY_ROW.findall(table)}


@pytest.fixture(scope="module")
def entries(log_text) -> dict[str, tuple[str, int, int]]:
    """Each hazard's section: its title and the initial and residual risk it works out."""
    found = {}
    for section in re.split(r"^(?=### HAZ-\d{3}\b)", log_text, flags=re.MULTILINE)[1:]:
        hazard, title = re.match(r"### (HAZ-\d{3}) (.+)", section).groups()
        ratings = {when: int(rating) for when, _, _, rating in RATING.findall(section)}
        found[hazard] = (title.strip(), ratings.get("Initial"), ratings.get("Residual"))
    return found


def test_the_summary_has_a_row_for_every_hazard_and_no_other(summary, hazards):
    assert {"missing": sorted(hazards - summary.keys()), "not in the log": sorted(summary.keys() - hazards)} == {
        "missing": [], "not in the log": []}


def test_the_summary_rows_say_what_each_hazards_entry_says(summary, entries):
    differ = {hazard: {"summary": row, "entry": entries[hazard]}
              for hazard, row in summary.items() if hazard in entries and row != entries[hazard]}
    assert differ == {}


def test_the_log_names_the_next_free_id(log_text, hazards):
    (next_id,) = re.findall(r"the next id is (HAZ-\d{3})", log_text)
    assert next_id == f"HAZ-{max(int(h[4:]) for h in hazards) + 1:03d}"
