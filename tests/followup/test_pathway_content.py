"""Pathway content is versioned data, loaded strictly: a typo fails here, not in front of a patient."""
from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from app.followup.pathway_content import (
    CONTENT_DIR,
    PathwayContentError,
    bundled_definition,
    bundled_definition_paths,
    load_pathway_definition,
    pathway_content,
)
from app.followup.schedule import add_months, interval_text, suggested_next_due, suggested_open_access_until
from app.pathways import PATHWAY_CHOICES, PATHWAYS, pathway_name


def bundled() -> dict:
    return json.loads(bundled_definition_paths()[-1].read_text(encoding="utf-8"))


def test_every_pathway_has_content_and_the_old_api_still_works():
    definition = bundled_definition()
    assert set(definition.pathways) == set(PATHWAYS)
    assert PATHWAY_CHOICES[0] == ("breast", "Breast") and pathway_name("lung") == "Lung"
    for key in PATHWAYS:
        content = pathway_content(key)
        assert content.red_flags and content.watch and content.emergency
        assert content.name == PATHWAYS[key]
        assert {s.level for s in content.red_flags} == {"red_flag"}
        assert {s.level for s in content.emergency} == {"emergency"}


def test_the_three_levels_are_kept_apart_and_ids_are_unique_per_pathway():
    for key in PATHWAYS:
        content = pathway_content(key)
        ids = [s.id for s in content.emergency + content.red_flags + content.watch]
        assert len(ids) == len(set(ids)), key


@pytest.mark.parametrize(("key", "symptom_text"), [
    ("breast", "A new lump in your breast, armpit, chest wall or neck"),
    ("colorectal", "Bleeding from your bottom"),
    ("prostate", "Blood in your pee"),
    ("lung", "Coughing up blood"),
])
def test_red_flags_come_from_the_domain_lists(key, symptom_text):
    assert symptom_text in [s.text for s in pathway_content(key).red_flags]


def test_the_emergency_symptoms_are_the_same_for_every_pathway():
    texts = {tuple(s.text for s in pathway_content(key).emergency) for key in PATHWAYS}
    assert len(texts) == 1
    assert any("37.5°C" in text for text in next(iter(texts)))


def test_a_rising_psa_is_a_result_not_something_the_person_reports():
    prostate = pathway_content("prostate")
    assert prostate.symptom("rising_psa").reported_by == "result"
    assert "rising_psa" not in [s.id for s in prostate.reported_by_person("red_flag")]
    assert len(prostate.reported_by_person("red_flag")) == len(prostate.red_flags) - 1


@pytest.mark.parametrize(("key", "tests"), [
    ("prostate", [("PSA blood test", 6)]),
    ("breast", [("Mammogram", 12)]),
    ("colorectal", [("CEA blood test", 6), ("CT scan", 12)]),
    ("skin", []),
])
def test_suggested_tests(key, tests):
    assert [(t.name, t.interval_months) for t in pathway_content(key).suggested_tests] == tests


def test_unknown_pathways_and_symptoms_are_errors():
    with pytest.raises(PathwayContentError, match="no pathway content for 'pancreas'"):
        pathway_content("pancreas")
    with pytest.raises(PathwayContentError, match="no symptom"):
        pathway_content("breast").symptom("rising_psa")


def test_the_bundled_definition_is_loaded_once():
    assert bundled_definition() is bundled_definition()
    assert pathway_content("breast") is pathway_content("breast")


def broken(change) -> dict:
    data = copy.deepcopy(bundled())
    change(data)
    return data


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("emergency"), "missing emergency"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d.update(key="hna"), "must be 'pathways'"),
    (lambda d: d.update(version=0), "version"),
    (lambda d: d.update(version=True), "version"),
    (lambda d: d["pathways"].pop("lung"), "no content for lung"),
    (lambda d: d["pathways"].update(pancreas=d["pathways"]["lung"]), "unknown pathway"),
    (lambda d: d["pathways"]["breast"].update(red_flags=[]), "non-empty list"),
    (lambda d: d["pathways"]["breast"]["red_flags"][0].update(id="New Lump"), "lower-case"),
    (lambda d: d["pathways"]["breast"]["red_flags"][0].update(text=" padded"), "no spaces"),
    (lambda d: d["pathways"]["breast"]["red_flags"][0].update(text=""), "must be some text"),
    (lambda d: d["pathways"]["breast"]["red_flags"][0].update(level="watch"), "unknown field"),
    (lambda d: d["pathways"]["breast"]["red_flags"][0].update(reported_by="gp"), "reported_by"),
    (lambda d: d["pathways"]["breast"]["watch"].append({"id": "new_lump", "text": "Again"}), "already used"),
    (lambda d: d["pathways"]["breast"]["watch"].append({"id": "possible_sepsis", "text": "Clash"}), "already used"),
    (lambda d: d["emergency"][0].update(reported_by="result"), "reported by the person"),
    (lambda d: d["pathways"]["breast"]["suggested_tests"][0].update(interval_months=0), "1 to 60"),
    (lambda d: d["pathways"]["breast"]["suggested_tests"][0].update(interval_months="12"), "1 to 60"),
    (lambda d: d["pathways"]["breast"]["suggested_tests"].append({"name": "mammogram", "interval_months": 6}), "suggested twice"),
    (lambda d: d["pathways"]["breast"].update(suggested_tests={}), "must be a list"),
])
def test_invalid_definitions_are_refused_with_where_and_why(change, message):
    with pytest.raises(PathwayContentError, match=message):
        load_pathway_definition(broken(change))


def test_files_must_be_named_by_version_and_match_it(tmp_path):
    (tmp_path / "pathways-v99.json").write_text(json.dumps(bundled()), encoding="utf-8")
    with pytest.raises(PathwayContentError, match="must match its name"):
        load_pathway_definition(tmp_path / "pathways-v99.json")
    (tmp_path / "pathways-v2.json").write_text('{"key": "pathways", "key": "pathways"}', encoding="utf-8")
    with pytest.raises(PathwayContentError, match="appears twice"):
        load_pathway_definition(tmp_path / "pathways-v2.json")
    (tmp_path / "latest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(PathwayContentError, match="named like"):
        bundled_definition_paths(tmp_path)
    assert [p.name for p in bundled_definition_paths(CONTENT_DIR)][0] == "pathways-v1.json"


def test_versions_sort_by_number(tmp_path):
    for version in (1, 2, 10):
        (tmp_path / f"pathways-v{version}.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in bundled_definition_paths(tmp_path)] == ["pathways-v1.json", "pathways-v2.json", "pathways-v10.json"]


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 15), 6, date(2027, 5, 15)),
    (date(2026, 3, 14), 36, date(2029, 3, 14)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_open_access_is_suggested_3_to_5_years_after_the_review():
    assert suggested_open_access_until(date(2026, 3, 14)) == (date(2029, 3, 14), date(2031, 3, 14))
    assert suggested_open_access_until(None) is None


@pytest.mark.parametrize(("review", "today", "expected"), [
    (date(2026, 3, 1), date(2026, 4, 1), date(2026, 9, 1)),  # one interval after the review
    (date(2025, 1, 1), date(2026, 4, 1), date(2026, 10, 1)),  # that has passed: from today
    (None, date(2026, 4, 1), date(2026, 10, 1)),
])
def test_first_test_due(review, today, expected):
    assert suggested_next_due(6, today, review) == expected


@pytest.mark.parametrize(("months", "text"), [(1, "Every month"), (6, "Every 6 months"), (12, "Every year"), (24, "Every 2 years"), (18, "Every 18 months")])
def test_interval_text(months, text):
    assert interval_text(months) == text
