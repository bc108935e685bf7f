"""The HNA questionnaire definition: the bundled file, and strict loading of any definition."""

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from app.hna.questionnaire import (
    CONTENT_DIR,
    OtherConcernQuestion,
    Questionnaire,
    QuestionnaireError,
    WhatMattersQuestion,
    bundled_definition_paths,
    load_questionnaire,
)

V1_PATH = CONTENT_DIR / "hna-v1.json"


@pytest.fixture(scope="module")
def v1() -> Questionnaire:
    return load_questionnaire(V1_PATH)


def v1_dict() -> dict[str, Any]:
    return json.loads(V1_PATH.read_text(encoding="utf-8"))


# --- The bundled definition --------------------------------------------------------------


def test_bundled_paths_start_with_version_1():
    paths = bundled_definition_paths()
    assert paths[0] == V1_PATH
    assert all(path.parent == CONTENT_DIR for path in paths)


@pytest.mark.parametrize("path", bundled_definition_paths(), ids=lambda path: path.name)
def test_every_bundled_definition_loads_and_matches_its_file_name(path: Path):
    questionnaire = load_questionnaire(path)
    assert path.name == f"{questionnaire.key}-v{questionnaire.version}.json"


def test_bundled_versions_are_distinct_and_increasing():
    versions = [load_questionnaire(path).version for path in bundled_definition_paths()]
    assert versions == sorted(set(versions))


@pytest.mark.parametrize(
    ("domain_id", "title", "item_ids"),
    [
        (
            "physical",
            "Physical",
            (
                "breathing", "passing_urine", "constipation", "diarrhoea", "eating_appetite",
                "indigestion", "sore_dry_mouth", "nausea_vomiting", "sleep", "tiredness",
                "swelling", "fever", "getting_around", "tingling", "pain", "hot_flushes",
                "skin", "wound_care", "memory_concentration", "taste_sight_hearing", "speech",
                "weight_change", "appearance", "sex_intimacy_fertility",
            ),
        ),
        (
            "emotional",
            "Emotional",
            (
                "making_plans", "loss_of_interest", "expressing_feelings", "anger_frustration",
                "guilt", "hopelessness", "loneliness", "sadness_depression",
                "worry_fear_anxiety", "thinking_about_future",
            ),
        ),
        (
            "practical",
            "Practical",
            (
                "caring_responsibilities", "work_education", "money_housing",
                "insurance_travel", "transport_parking", "talking_with_staff",
                "information_from_staff", "grants_benefits", "washing_dressing",
                "meals_drinks", "housework_shopping", "laundry",
            ),
        ),
        ("family", "Family and relationships", ("partner", "children", "relatives_friends")),
        (
            "spiritual",
            "Spiritual or religious",
            ("loss_of_faith", "meaning_purpose", "peace_with_past"),
        ),
        (
            "lifestyle",
            "Lifestyle and information",
            (
                "diet_nutrition", "exercise_activity", "smoking", "alcohol_drugs",
                "sun_protection", "complementary_therapies", "support_groups",
                "wellbeing_information",
            ),
        ),
    ],
)
def test_v1_has_every_checklist_domain_and_item(v1, domain_id, title, item_ids):
    domain = v1.domain(domain_id)
    assert domain.title == title
    assert domain.item_ids == item_ids
    assert domain.question.endswith("?")


def test_v1_domains_are_in_checklist_order(v1):
    assert [domain.id for domain in v1.domains] == [
        "physical", "emotional", "practical", "family", "spiritual", "lifestyle",
    ]


def test_v1_other_concern_is_a_free_text_question_not_a_checkbox(v1):
    assert v1.other_concern == OtherConcernQuestion(
        id="anything_else",
        question="Is there anything else that worries you?",
        hint=v1.other_concern.hint,
        max_length=1000,
    )
    texts = [item.text.lower() for domain in v1.domains for item in domain.items]
    assert not [text for text in texts if "other concern" in text or "free text" in text]


def test_v1_what_matters_questions(v1):
    assert [(q.id, q.question, q.max_length) for q in v1.what_matters] == [
        ("matters_most", "What matters most to you now?", 2000),
        ("would_like_to_do", "What would you like to be able to do?", 2000),
        ("who_supports_you", "Who is important to you and supports you?", 2000),
        (
            "team_should_know",
            "Is there anything you would like your care team to know about you?",
            2000,
        ),
    ]
    assert all(isinstance(q, WhatMattersQuestion) and q.hint for q in v1.what_matters)


def test_v1_scoring_settings(v1):
    assert v1.key == "hna"
    assert v1.version == 1
    assert v1.max_top_concerns == 3
    assert v1.concern_score_threshold == 7
    assert v1.distress.threshold == 4
    assert v1.distress.question == (
        "On a scale of 0 to 10, how much distress have you been feeling in the past week, "
        "including today?"
    )
    assert v1.distress.low_label == "0 - no distress"
    assert v1.distress.high_label == "10 - extreme distress"


def test_v1_ids_are_unique_across_the_whole_questionnaire(v1):
    ids = [
        *(domain.id for domain in v1.domains),
        *v1.all_concern_ids,
        v1.other_concern.id,
        *(q.id for q in v1.what_matters),
    ]
    assert len(ids) == len(set(ids))


def test_v1_all_concern_ids_in_questionnaire_order(v1):
    assert len(v1.all_concern_ids) == 60
    assert v1.all_concern_ids[:2] == ("breathing", "passing_urine")
    assert v1.all_concern_ids[-1] == "wellbeing_information"


def test_round_trip_reproduces_the_file_exactly(v1):
    assert v1.to_dict() == v1_dict()
    assert load_questionnaire(v1.to_dict()) == v1
    # What gets stored must survive JSON, as it will in the database.
    assert load_questionnaire(json.loads(json.dumps(v1.to_dict()))) == v1


def test_round_trip_leaves_out_optional_fields_that_are_not_set():
    definition = v1_dict()
    del definition["description"]
    del definition["distress"]["hint"]
    del definition["domains"][0]["hint"]
    del definition["what_matters"][0]["hint"]
    questionnaire = load_questionnaire(definition)
    assert questionnaire.description is None
    assert questionnaire.distress.hint is None
    assert questionnaire.to_dict() == definition


@pytest.mark.parametrize("source", [str(V1_PATH), V1_PATH], ids=["str", "Path"])
def test_load_accepts_str_and_path(v1, source):
    assert load_questionnaire(source) == v1


@pytest.mark.parametrize(
    ("item_id", "text", "domain_id", "order"),
    [
        ("breathing", "Breathing difficulties", "physical", 0),
        ("pain", "Pain", "physical", 14),
        ("guilt", "Guilt", "emotional", 28),
        ("partner", "My partner", "family", 46),
        ("wellbeing_information", "Health and wellbeing information", "lifestyle", 59),
    ],
)
def test_concern_lookup(v1, item_id, text, domain_id, order):
    assert (v1.concern(item_id).id, v1.concern(item_id).text) == (item_id, text)
    assert v1.domain_of(item_id).id == domain_id
    assert v1.concern_order(item_id) == order


@pytest.mark.parametrize(
    "lookup",
    ["concern", "domain_of", "concern_order", "domain"],
)
def test_unknown_ids_raise_key_error_naming_the_id(v1, lookup):
    with pytest.raises(KeyError, match="no_such_thing"):
        getattr(v1, lookup)("no_such_thing")


def test_questionnaire_is_frozen(v1):
    with pytest.raises(dataclasses.FrozenInstanceError):
        v1.version = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        v1.domains[0].items[0].text = "changed"  # type: ignore[misc]


def test_to_dict_is_a_copy_that_cannot_change_the_questionnaire(v1):
    data = v1.to_dict()
    data["domains"][0]["items"][0]["text"] = "changed"
    assert v1.concern("breathing").text == "Breathing difficulties"


# --- Invalid definitions -----------------------------------------------------------------


def _set(path: str, value: Any):
    """A change to the v1 definition: set the value at a dotted path ("domains.0.id")."""

    def change(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = definition
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _delete(path: str):
    def change(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = definition
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[int(last) if isinstance(target, list) else last]

    return change


INVALID_CHANGES = [
    # (case id, change to v1, fragment of the error message)
    ("missing domains", _delete("domains"), "the definition is missing 'domains'"),
    (
        "missing distress threshold",
        _delete("distress.threshold"),
        "distress is missing 'threshold'",
    ),
    ("unknown top-level key", _set("domian", []), "the definition has unknown 'domian'"),
    (
        "unknown item key",
        _set("domains.0.items.0.score", 1),
        "domains[0].items[0] has unknown 'score'",
    ),
    ("empty domains", _set("domains", []), "domains must be a non-empty list"),
    ("domains not a list", _set("domains", {"physical": []}), "domains must be a non-empty list"),
    ("domain not an object", _set("domains.1", "emotional"), "domains[1] must be an object"),
    (
        "domain with no items",
        _set("domains.2.items", []),
        "domains[2].items must be a non-empty list",
    ),
    ("empty what_matters", _set("what_matters", []), "what_matters must be a non-empty list"),
    (
        "item id repeated in another domain",
        _set("domains.1.items.0.id", "pain"),
        "domains[1].items[0].id 'pain' is already used at domains[0].items[14].id",
    ),
    (
        "item id repeated in the same domain",
        _set("domains.0.items.1.id", "breathing"),
        "domains[0].items[1].id 'breathing' is already used at domains[0].items[0].id",
    ),
    (
        "domain id repeated",
        _set("domains.1.id", "physical"),
        "domains[1].id 'physical' is already used at domains[0].id",
    ),
    (
        "item id same as a domain id",
        _set("domains.0.items.0.id", "emotional"),
        "domains[1].id 'emotional' is already used at domains[0].items[0].id",
    ),
    (
        "what matters id repeated",
        _set("what_matters.1.id", "matters_most"),
        "what_matters[1].id 'matters_most' is already used at what_matters[0].id",
    ),
    (
        "other concern id same as an item",
        _set("other_concern.id", "pain"),
        "other_concern.id 'pain' is already used at domains[0].items[14].id",
    ),
    ("id with spaces", _set("domains.0.items.0.id", "hot flushes"), "must be a snake_case id"),
    ("id with capitals", _set("domains.0.id", "Physical"), "domains[0].id must be a snake_case id"),
    ("id starting with a digit", _set("what_matters.0.id", "1st"), "must be a snake_case id"),
    ("empty id", _set("other_concern.id", ""), "other_concern.id must be a snake_case id"),
    ("id not text", _set("domains.0.items.0.id", 7), "must be a snake_case id"),
    (
        "distress threshold above 10",
        _set("distress.threshold", 11),
        "distress.threshold must be a whole number from 0 to 10",
    ),
    (
        "distress threshold below 0",
        _set("distress.threshold", -1),
        "distress.threshold must be a whole number from 0 to 10",
    ),
    (
        "distress threshold fraction",
        _set("distress.threshold", 4.5),
        "distress.threshold must be a whole number",
    ),
    (
        "distress threshold text",
        _set("distress.threshold", "4"),
        "distress.threshold must be a whole number",
    ),
    (
        "distress threshold bool",
        _set("distress.threshold", True),
        "distress.threshold must be a whole number",
    ),
    (
        "concern threshold above 10",
        _set("concern_score_threshold", 11),
        "concern_score_threshold must be a whole number from 0 to 10",
    ),
    (
        "concern threshold null",
        _set("concern_score_threshold", None),
        "concern_score_threshold must be a whole number",
    ),
    (
        "max length zero",
        _set("what_matters.0.max_length", 0),
        "what_matters[0].max_length must be a whole number of 1 or more",
    ),
    (
        "max length negative",
        _set("other_concern.max_length", -5),
        "other_concern.max_length must be a whole number of 1 or more",
    ),
    (
        "max length text",
        _set("other_concern.max_length", "1000"),
        "other_concern.max_length must be a whole number",
    ),
    (
        "max top concerns zero",
        _set("max_top_concerns", 0),
        "max_top_concerns must be a whole number of 1 or more",
    ),
    ("version zero", _set("version", 0), "version must be a whole number of 1 or more"),
    ("version text", _set("version", "1"), "version must be a whole number"),
    ("empty title", _set("title", ""), "title must be non-empty text"),
    ("blank title", _set("title", "   "), "title must be non-empty text"),
    (
        "blank question",
        _set("domains.3.question", " "),
        "domains[3].question must be non-empty text",
    ),
    (
        "missing item text",
        _delete("domains.0.items.0.text"),
        "domains[0].items[0] is missing 'text'",
    ),
    (
        "item text not text",
        _set("domains.0.items.0.text", ["Pain"]),
        "domains[0].items[0].text must be non-empty text",
    ),
    ("empty hint", _set("distress.hint", ""), "distress.hint must be non-empty text"),
    ("empty none label", _set("none_label", ""), "none_label must be non-empty text"),
    (
        "missing top concerns wording",
        _delete("top_concerns"),
        "the definition is missing 'top_concerns'",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [pytest.param(change, message, id=case) for case, change, message in INVALID_CHANGES],
)
def test_invalid_definitions_raise_a_clear_error(change, message):
    definition = v1_dict()
    change(definition)
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(definition)
    assert message in str(raised.value)


@pytest.mark.parametrize("definition", [[], None, 1, ("key", "hna")], ids=repr)
def test_definition_must_be_an_object(definition):
    with pytest.raises(QuestionnaireError, match="the definition must be an object"):
        load_questionnaire(definition)  # type: ignore[arg-type]


def test_loading_does_not_change_the_given_dict():
    definition = v1_dict()
    before = copy.deepcopy(definition)
    load_questionnaire(definition)
    assert definition == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"key": "hna", "key": "hna"}', "key 'key' appears twice in one object"),
        ('{"key": "hna"}', "the definition is missing 'version'"),
        ("[]", "the definition must be an object"),
    ],
    ids=["broken JSON", "duplicate key", "incomplete", "not an object"],
)
def test_invalid_files_raise_an_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "hna-v1.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_missing_file_raises_questionnaire_error(tmp_path):
    with pytest.raises(QuestionnaireError, match="cannot be read"):
        load_questionnaire(tmp_path / "hna-v9.json")


# --- Finding definition files ------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], []),
        (["hna-v1.json"], ["hna-v1.json"]),
        # By number, not as text: "hna-v10" sorts before "hna-v2" alphabetically.
        (
            ["hna-v10.json", "hna-v2.json", "hna-v1.json"],
            ["hna-v1.json", "hna-v2.json", "hna-v10.json"],
        ),
        (["hna-v2.json", "README.md", "hna-v1.json"], ["hna-v1.json", "hna-v2.json"]),
    ],
)
def test_bundled_definition_paths_sorts_by_version(tmp_path, names, expected):
    for name in names:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [path.name for path in bundled_definition_paths(tmp_path)] == expected


@pytest.mark.parametrize(
    "name", ["hna.json", "hna-v0.json", "hna-1.json", "HNA-v1.json", "hna-v01.json"]
)
def test_badly_named_definition_files_are_refused(tmp_path, name):
    (tmp_path / name).write_text("{}", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="must be named like 'hna-v1.json'"):
        bundled_definition_paths(tmp_path)


def test_symptoms_that_must_not_wait_carry_urgent_advice(v1):
    assert "acute oncology line" in v1.concern("fever").urgent
    assert "999" in v1.concern("breathing").urgent
    assert v1.concern("pain").urgent is None


def test_lifestyle_scores_ask_about_importance_not_bother(v1):
    assert "important" in v1.domain("lifestyle").score_label
    assert v1.domain("physical").score_label is None


@pytest.mark.hazard("HAZ-009")
def test_every_emergency_link_names_an_emergency_in_the_pathway_content():
    from app.followup.pathway_content import bundled_definition
    from app.hna.answers import PUBLISHED_SYMPTOM_LINKS, emergency_of
    from app.hna.questionnaire import bundled_definition_paths

    emergencies = {s.id for content in bundled_definition().pathways.values() for s in content.emergency}
    linked = {}
    for path in bundled_definition_paths():
        questionnaire = load_questionnaire(path)
        for concern_id in questionnaire.all_concern_ids:
            if emergency_of(questionnaire, concern_id):
                linked[(questionnaire.key, questionnaire.version, concern_id)] = emergency_of(questionnaire, concern_id)
    assert linked[("hna", 1, "fever")] == "possible_sepsis"
    assert {link for link, symptom in PUBLISHED_SYMPTOM_LINKS.items() if symptom in emergencies} <= set(linked)
    assert set(linked.values()) <= emergencies


def test_an_emergency_without_its_urgent_advice_is_refused():
    from app.hna.questionnaire import QuestionnaireError

    data = v1_dict()
    data["domains"][0]["items"][0]["emergency"] = "possible_sepsis"
    data["domains"][0]["items"][0].pop("urgent", None)
    with pytest.raises(QuestionnaireError, match="urgent"):
        load_questionnaire(data)
