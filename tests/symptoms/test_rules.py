"""The symptom rules engine, as tables of cases per pathway (app/symptoms/rules.py).

The red flags and emergencies below are written out from the shared domain facts
(`red-flags.md`), not read from the content file, so that a symptom dropped from the content
fails here.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.followup.pathway_content import PathwayContentError, bundled_definition, load_pathway_definition
from app.pathways import PATHWAYS
from app.symptoms.rules import (
    SEVERITIES,
    Assessment,
    Level,
    Report,
    UnknownSymptom,
    assess,
    level_rank,
    repeats_window_days,
    rules_version,
    severity_descriptions,
    something_else_text,
    sweep,
    symptom_choices,
)

TODAY = date(2026, 3, 2)

EMERGENCIES = ("spinal_cord_compression", "possible_sepsis", "breathless_or_chest_pain", "confusion_or_seizure")

# Each pathway's red flags in the shared facts: symptom id -> days it must last (0: at once).
SHARED_RED_FLAGS = {
    "breast": {"new_lump": 0, "skin_or_nipple_change": 0, "bone_pain": 14, "cough_or_breathless": 0,
               "weight_loss": 0, "headache": 0, "arm_swelling": 0},
    "colorectal": {"rectal_bleeding": 0, "bowel_habit_change": 21, "weight_loss": 0, "tummy_pain_or_lump": 0,
                   "bloating": 0, "jaundice": 0},
    # A rising PSA is a red flag the team sees on a result: the person cannot report it.
    "prostate": {"bone_pain": 0, "urinating_difficulty": 0, "blood_in_urine": 0},
    "gynaecological": {"vaginal_bleeding": 0, "pelvic_pain": 0, "bloating": 0, "leg_swelling": 0, "weight_loss": 0},
    "head_and_neck": {"neck_lump": 0, "swallowing": 0, "hoarseness": 21, "mouth_ulcer": 0, "ear_pain": 0},
    "thyroid": {"neck_lump": 0, "swallowing_or_breathing": 0, "hoarseness": 0},
    "skin": {"scar_change": 0, "lump_near_scar": 0, "mole_change": 0},
    "haematology": {"night_sweats": 0, "fevers": 0, "new_lumps": 0, "weight_loss": 0, "itching": 0},
    "lung": {"coughing_blood": 0, "breathlessness": 0, "chest_pain": 0, "persistent_cough": 0, "hoarseness": 0},
}


def report(symptom_id, severity="mild", started_days_ago=0, logged_days_ago=0, new_or_worse=False) -> Report:
    return Report(symptom_id, severity, TODAY - timedelta(days=started_days_ago),
                  TODAY - timedelta(days=logged_days_ago), new_or_worse)


def level_of(pathway, entry, history=()) -> Assessment:
    return assess(pathway, entry, list(history), TODAY)


def all_cases(table):
    return [(pathway, symptom_id, days) for pathway, flags in table.items() for symptom_id, days in flags.items()]


def watch_cases():
    return [(key, s.id) for key, content in bundled_definition().pathways.items() for s in content.watch]


def test_the_shared_facts_cover_every_pathway():
    assert set(SHARED_RED_FLAGS) == set(PATHWAYS)


@pytest.mark.hazard("HAZ-016")
@pytest.mark.parametrize("pathway", [*PATHWAYS, None, "pancreas"])
@pytest.mark.parametrize("symptom_id", EMERGENCIES)
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_emergency_is_an_emergency_on_every_pathway_whatever_the_severity(pathway, symptom_id, severity):
    assessment = level_of(pathway, report(symptom_id, severity))
    assert (assessment.level, assessment.rule) == (Level.EMERGENCY, "emergency")


@pytest.mark.hazard("HAZ-016")
@pytest.mark.parametrize("pathway", [*PATHWAYS, None])
def test_emergencies_are_offered_first_on_every_pathway(pathway):
    choices = symptom_choices(pathway)
    assert [c.id for c in choices[:len(EMERGENCIES)]] == list(EMERGENCIES)
    assert {c.level for c in choices[:len(EMERGENCIES)]} == {Level.EMERGENCY}
    assert Level.EMERGENCY not in {c.level for c in choices[len(EMERGENCIES):]}
    if pathway is None:  # no pathway recorded: the emergencies only (and "something else")
        assert len(choices) == len(EMERGENCIES)


@pytest.mark.hazard("HAZ-016")
def test_the_emergency_advice_names_999_and_the_24_hour_line():
    for content in bundled_definition().pathways.values():
        assert "999" in content.emergency_advice and "24-hour" in content.emergency_advice


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("pathway", "symptom_id", "days"), all_cases(SHARED_RED_FLAGS))
def test_every_red_flag_in_the_shared_facts_is_a_red_flag(pathway, symptom_id, days):
    assert level_of(pathway, report(symptom_id, "mild", started_days_ago=days)).level == Level.RED_FLAG
    assert symptom_id in [c.id for c in symptom_choices(pathway) if c.level == Level.RED_FLAG]


@pytest.mark.hazard("HAZ-015")
def test_the_pathway_offers_exactly_the_shared_red_flags():
    for pathway, flags in SHARED_RED_FLAGS.items():
        offered = {c.id: c.after_days or 0 for c in symptom_choices(pathway) if c.level == Level.RED_FLAG}
        assert offered == flags, pathway


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("pathway", "symptom_id", "days"),
                         [case for case in all_cases(SHARED_RED_FLAGS) if case[2]])
def test_a_red_flag_with_a_duration_is_a_watch_symptom_until_it_has_lasted_that_long(pathway, symptom_id, days):
    before = level_of(pathway, report(symptom_id, "moderate", started_days_ago=days - 1))
    at = level_of(pathway, report(symptom_id, "moderate", started_days_ago=days))
    assert (before.level, before.rule) == (Level.WATCH, "watch")
    assert (at.level, at.rule) == (Level.RED_FLAG, "red_flag_duration")
    assert f"for {days} days" in at.reason


@pytest.mark.hazard("HAZ-015")
def test_change_in_bowel_habit_20_days_is_watch_21_days_is_a_red_flag():
    assert level_of("colorectal", report("bowel_habit_change", started_days_ago=20)).level == Level.WATCH
    assert level_of("colorectal", report("bowel_habit_change", started_days_ago=21)).level == Level.RED_FLAG


@pytest.mark.parametrize(("pathway", "symptom_id"), watch_cases())
def test_a_new_mild_watch_symptom_stays_a_watch_symptom(pathway, symptom_id):
    assessment = level_of(pathway, report(symptom_id, "mild", new_or_worse=True))
    assert (assessment.level, assessment.rule) == (Level.WATCH, "watch")


@pytest.mark.parametrize(("pathway", "symptom_id"), [
    ("breast", "rectal_bleeding"),       # another pathway's red flag
    ("lung", "bowel_habit_change"),
    ("prostate", "rising_psa"),          # a result, not something the person reports
    (None, "new_lump"),                  # no pathway: emergencies and "something else" only
    ("breast", "chest pain"),
    ("breast", ""),
])
def test_unrelated_symptoms_are_refused_not_guessed(pathway, symptom_id):
    with pytest.raises(UnknownSymptom):
        level_of(pathway, report(symptom_id))


def test_an_unknown_severity_is_refused():
    with pytest.raises(UnknownSymptom, match="severity"):
        level_of("breast", report("tiredness", "agony"))


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("pathway", "symptom_id", "severity", "started", "expected", "rule"), [
    # Severity raises a watch symptom (and a red flag below its duration) to a red flag.
    ("breast", "tiredness", "mild", 0, Level.WATCH, "watch"),
    ("breast", "tiredness", "moderate", 0, Level.WATCH, "watch"),
    ("breast", "tiredness", "severe", 0, Level.RED_FLAG, "watch_severe"),
    ("colorectal", "bowel_habit_change", "severe", 3, Level.RED_FLAG, "watch_severe"),
    ("colorectal", "rectal_bleeding", "mild", 0, Level.RED_FLAG, "red_flag"),
    # Persistence: "more than 3 weeks" is 21 days since it started.
    ("prostate", "hot_flushes", "mild", 20, Level.WATCH, "watch"),
    ("prostate", "hot_flushes", "mild", 21, Level.RED_FLAG, "watch_persists"),
    ("lung", "appetite", "moderate", 60, Level.RED_FLAG, "watch_persists"),
    # "Something else" in their own words: watch; severe or lasting 21 days: red flag.
    ("skin", None, "mild", 0, Level.WATCH, "something_else"),
    ("skin", None, "moderate", 20, Level.WATCH, "something_else"),
    ("skin", None, "moderate", 21, Level.RED_FLAG, "watch_persists"),
    ("skin", None, "severe", 0, Level.RED_FLAG, "something_else_severe"),
    (None, None, "mild", 0, Level.WATCH, "something_else"),
    (None, None, "severe", 0, Level.RED_FLAG, "something_else_severe"),
])
def test_severity_persistence_and_something_else(pathway, symptom_id, severity, started, expected, rule):
    assessment = level_of(pathway, report(symptom_id, severity, started_days_ago=started))
    assert (assessment.level, assessment.rule) == (expected, rule)
    assert assessment.reason


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("earlier_logged_days_ago", "expected"), [
    ((), Level.WATCH),
    ((5,), Level.WATCH),                 # 2 entries in 14 days
    ((5, 9), Level.RED_FLAG),            # 3 entries in 14 days
    ((0, 0), Level.RED_FLAG),            # three on the same day are three entries
    ((5, 13), Level.RED_FLAG),           # 13 days ago: the window's first day
    ((5, 14), Level.WATCH),              # 14 days ago: just outside
    ((14, 20), Level.WATCH),
    ((-1, 5), Level.WATCH),              # an entry dated tomorrow is not counted
])
def test_the_same_watch_symptom_logged_3_times_in_14_days_is_a_red_flag(earlier_logged_days_ago, expected):
    history = [report("tiredness", logged_days_ago=days) for days in earlier_logged_days_ago]
    history += [report("joint_aches"), report("joint_aches"), report(None), report(None)]  # other symptoms
    assessment = level_of("breast", report("tiredness"), history)
    assert assessment.level == expected
    if expected == Level.RED_FLAG:
        assert (assessment.rule, assessment.reason) == ("watch_repeats", "Tiredness, logged 3 times in 14 days")


def every_reportable_symptom():
    return [(key, choice.id) for key in bundled_definition().pathways for choice in symptom_choices(key)] + [
        ("breast", None), (None, None), (None, "possible_sepsis")]


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("pathway", "symptom_id"), every_reportable_symptom())
def test_only_the_history_in_the_repeats_window_can_change_a_level(pathway, symptom_id):
    """The service reads only the same symptom logged within repeats_window_days (the person's
    whole log would grow without end): for every symptom, every severity and duration, the
    level from that history is the level from the whole history."""
    window = repeats_window_days(pathway, symptom_id)
    whole = [report(other, logged_days_ago=days) for other in (symptom_id, None, "tiredness", "bone_pain")
             for days in (-1, 0, 0, 1, 5, 9, 13, 14, 20, 30, 60)]
    window_only = [h for h in whole if h.symptom_id == symptom_id and 0 <= (TODAY - h.logged_on).days < window]
    for severity in SEVERITIES:
        for started in (0, 10, 13, 14, 20, 21, 40):
            this = report(symptom_id, severity, started_days_ago=started)
            assert level_of(pathway, this, whole) == level_of(pathway, this, window_only), (severity, started)


def test_the_report_itself_in_its_history_is_counted_once():
    this = report("tiredness")
    assert level_of("breast", this, [this, report("tiredness", logged_days_ago=2)]).level == Level.WATCH


def test_something_else_entries_are_never_the_same_symptom():
    history = [report(None, logged_days_ago=1), report(None, logged_days_ago=2)]
    assert level_of("breast", report(None), history).level == Level.WATCH


@pytest.mark.hazard("HAZ-015")
def test_the_daily_sweep_raises_entries_whose_level_rose_by_duration():
    bowel = report("bowel_habit_change", started_days_ago=25, logged_days_ago=10)  # 15 days then
    wind = report("wind", started_days_ago=21, logged_days_ago=21)                  # watch then, 21 days now
    fresh_wind = report("wind", logged_days_ago=1)
    bleeding = report("rectal_bleeding", logged_days_ago=3)                          # red flag already
    severe = report("tiredness", "severe", logged_days_ago=30)                       # red flag when logged
    assert sweep("colorectal", [fresh_wind, bowel, bleeding, wind, severe], TODAY) == [
        (wind, Assessment(Level.RED_FLAG, "watch_persists", "More wind than usual, for 21 days (21 or more)")),
        (bowel, Assessment(Level.RED_FLAG, "red_flag_duration",
                           "Red flag: A change in your bowel habit, for 25 days (21 or more)")),
    ]


@pytest.mark.hazard("HAZ-015")
@pytest.mark.parametrize(("started_days_ago", "raised"), [(20, False), (21, True)])
def test_the_sweep_boundary_is_exact(started_days_ago, raised):
    entry = report("hot_flushes", started_days_ago=started_days_ago, logged_days_ago=started_days_ago)
    assert bool(sweep("prostate", [entry], TODAY)) is raised


def test_levels_rank_emergency_over_red_flag_over_watch():
    assert level_rank(Level.EMERGENCY) > level_rank(Level.RED_FLAG) > level_rank(Level.WATCH)


def test_the_rules_say_their_version_and_describe_each_severity_plainly():
    assert rules_version() == f"pathways-v{bundled_definition().version}"
    assert list(severity_descriptions()) == list(SEVERITIES)
    assert all(text.endswith(".") for text in severity_descriptions().values())
    assert "own words" in something_else_text()


# ---------------------------------------------------------------- the rules content is strict

def with_rules(**changes) -> dict:
    import copy
    import json

    from app.followup.pathway_content import bundled_definition_paths

    data = json.loads(bundled_definition_paths()[-1].read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return data


DELETE = object()


@pytest.mark.parametrize(("changes", "message"), [
    ({"severities": DELETE}, "missing severities"),
    ({"severities__mild": DELETE}, "severities: missing mild"),
    ({"severities__agony": "x"}, "unknown field"),
    ({"red_flag_advice": ""}, "must be some text"),
    ({"watch_rules__persists_days": 0}, "1 to 365"),
    ({"watch_rules__repeats": 1}, "2 to 20"),
    ({"watch_rules__severe_raises": "yes"}, "true or false"),
    ({"watch_rules__repeats_within_days": DELETE}, "missing repeats_within_days"),
    ({"something_else__severe_raises": DELETE}, "missing severe_raises"),
    ({"pathways__colorectal__red_flags__1__after_days": 21.5}, "1 to 365"),
    ({"pathways__colorectal__watch__0__after_days": 21}, "unknown field"),
    ({"pathways__colorectal__watch__0__watch_rules": {"persists_days": 400}}, "1 to 365"),
    ({"pathways__colorectal__watch__0__watch_rules": {"often": 2}}, "unknown field"),
    ({"emergency__0__after_days": 1}, "unknown field"),
])
def test_invalid_rules_are_refused_with_where_and_why(changes, message):
    with pytest.raises(PathwayContentError, match=message):
        load_pathway_definition(with_rules(**changes))


def test_a_watch_symptom_may_have_its_own_rules():
    data = with_rules(pathways__breast__watch__0__watch_rules={"persists_days": 42, "severe_raises": False})
    content = load_pathway_definition(data)["breast"]
    own = content.rules_for(content.symptom("tiredness"))
    assert (own.persists_days, own.severe_raises, own.repeats) == (42, False, content.watch_rules.repeats)
    assert content.rules_for(content.symptom("joint_aches")) == content.watch_rules


def test_version_1_has_no_rules_and_still_loads():
    from app.followup.pathway_content import bundled_definition_paths

    first = load_pathway_definition(bundled_definition_paths()[0])
    assert first.version == 1 and not first["breast"].has_rules


@pytest.fixture
def own_rules(monkeypatch):
    """Breast tiredness with its own watch rules: red flag only after 42 days, never by severity,
    and after 2 entries in 7 days."""
    data = with_rules(pathways__breast__watch__0__watch_rules={
        "persists_days": 42, "severe_raises": False, "repeats": 2, "repeats_within_days": 7})
    definition = load_pathway_definition(data)
    monkeypatch.setattr("app.symptoms.rules.bundled_definition", lambda: definition)
    return definition


@pytest.mark.parametrize(("symptom_id", "severity", "started", "earlier_logged", "expected"), [
    ("tiredness", "severe", 0, (), Level.WATCH),
    ("tiredness", "mild", 41, (), Level.WATCH),
    ("tiredness", "mild", 42, (), Level.RED_FLAG),
    ("tiredness", "mild", 0, (6,), Level.RED_FLAG),
    ("tiredness", "mild", 0, (7,), Level.WATCH),
    ("joint_aches", "severe", 0, (), Level.RED_FLAG),     # the pathway's rules still apply to the others
    ("joint_aches", "mild", 21, (), Level.RED_FLAG),
    ("joint_aches", "mild", 0, (6,), Level.WATCH),
])
def test_a_watch_symptoms_own_rules_replace_the_pathways(own_rules, symptom_id, severity, started, earlier_logged, expected):
    history = [report(symptom_id, logged_days_ago=days) for days in earlier_logged]
    assert level_of("breast", report(symptom_id, severity, started_days_ago=started), history).level == expected
