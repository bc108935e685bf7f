"""Rules over a person's HNA answers, checked against the bundled version 1 questionnaire."""

import json
from typing import Any

import pytest

from app.hna.answers import (
    LEVEL_HIGH,
    LEVEL_ROUTINE,
    AnswerError,
    Priority,
    completion_state,
    hna_priority,
    is_required_step,
    missing_for_submission,
    step_ids,
    summarise_for_nurse,
    validate_concern_score,
    validate_distress,
    validate_domain_selection,
    validate_free_text,
    validate_top_concerns,
)
from app.hna.questionnaire import CONTENT_DIR, Questionnaire, load_questionnaire

SCORE_MESSAGE = "Choose a number from 0 to 10"
DOMAIN_STEPS = [
    "domain:physical",
    "domain:emotional",
    "domain:practical",
    "domain:family",
    "domain:spiritual",
    "domain:lifestyle",
]
MATTERS_STEPS = [
    "matters:matters_most",
    "matters:would_like_to_do",
    "matters:who_supports_you",
    "matters:team_should_know",
]


@pytest.fixture(scope="module")
def v1() -> Questionnaire:
    return load_questionnaire(CONTENT_DIR / "hna-v1.json")


def variant(questionnaire: Questionnaire, **changes: Any) -> Questionnaire:
    return load_questionnaire({**questionnaire.to_dict(), **changes})


# --- Scores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (4, 4), (10, 10), ("0", 0), ("7", 7), ("10", 10), (" 7 ", 7), ("07", 7)],
)
def test_valid_scores(value, expected):
    assert validate_distress(value) == expected
    assert validate_concern_score(value) == expected


INVALID_SCORES = [
    -1, 11, 100, "-1", "11", "", "   ", None, True, False, 7.0, 4.5, "4.5", "seven", "+7",
    "1e1", "٧", "7 7", "9" * 5000, [], {},
]


@pytest.mark.parametrize("value", INVALID_SCORES, ids=repr)
def test_invalid_distress(value):
    with pytest.raises(AnswerError) as raised:
        validate_distress(value)
    assert raised.value.field == "distress"
    assert raised.value.message == SCORE_MESSAGE
    assert str(raised.value) == SCORE_MESSAGE


@pytest.mark.parametrize("value", INVALID_SCORES, ids=repr)
def test_invalid_concern_score_names_the_concern(value):
    with pytest.raises(AnswerError) as raised:
        validate_concern_score(value, field="pain")
    assert (raised.value.field, raised.value.message) == ("pain", SCORE_MESSAGE)


def test_concern_score_field_defaults_to_score():
    with pytest.raises(AnswerError) as raised:
        validate_concern_score(11)
    assert raised.value.field == "score"


# --- Domain selection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain_id", "selected", "none_selected", "expected"),
    [
        ("physical", ["pain"], False, ["pain"]),
        # Returned in questionnaire order, whatever order the form sent them in.
        ("family", ["children", "partner"], False, ["partner", "children"]),
        ("physical", ["pain", "pain", "breathing"], False, ["breathing", "pain"]),
        ("physical", ("fever",), False, ["fever"]),
        ("physical", {"fever"}, False, ["fever"]),
        ("spiritual", (item for item in ["peace_with_past"]), False, ["peace_with_past"]),
        ("family", [], True, []),
        ("lifestyle", (), True, []),
        (
            "family",
            ["relatives_friends", "children", "partner"],
            False,
            ["partner", "children", "relatives_friends"],
        ),
    ],
)
def test_valid_domain_selection(v1, domain_id, selected, none_selected, expected):
    assert validate_domain_selection(v1, domain_id, selected, none_selected) == expected


@pytest.mark.parametrize(
    ("domain_id", "selected", "none_selected", "message"),
    [
        ("physical", [], False, "Select the options that apply, or select 'None of these'"),
        (
            "family",
            ["partner"],
            True,
            "Select the options that apply, or select 'None of these', not both",
        ),
        ("physical", ["no_such_concern"], False, "Select from the options shown"),
        ("physical", ["guilt"], False, "Select from the options shown"),
        ("physical", ["pain", "guilt"], False, "Select from the options shown"),
        ("physical", ["guilt"], True, "Select from the options shown"),
        ("physical", [""], False, "Select from the options shown"),
    ],
    ids=["nothing", "both", "unknown", "other domain", "mixed", "other domain with none", "blank"],
)
def test_invalid_domain_selection(v1, domain_id, selected, none_selected, message):
    with pytest.raises(AnswerError) as raised:
        validate_domain_selection(v1, domain_id, selected, none_selected)
    assert (raised.value.field, raised.value.message) == (domain_id, message)


def test_domain_selection_uses_the_questionnaires_none_label(v1):
    questionnaire = variant(v1, none_label="No, none of these")
    with pytest.raises(AnswerError, match="or select 'No, none of these'"):
        validate_domain_selection(questionnaire, "physical", [], False)


def test_unknown_domain_is_a_key_error_not_an_answer_error(v1):
    with pytest.raises(KeyError, match="no_such_domain"):
        validate_domain_selection(v1, "no_such_domain", [], True)


def test_domain_selection_refuses_a_single_string(v1):
    # Iterating "pain" would give "p", "a", "i", "n": a programming mistake, not a person's.
    with pytest.raises(TypeError):
        validate_domain_selection(v1, "physical", "pain", False)


# --- Top concerns ------------------------------------------------------------------------

SELECTED = ["pain", "guilt", "partner", "money_housing", "smoking"]


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([], []),
        (["pain"], ["pain"]),
        # The person's order is kept: it says what they want to talk about first.
        (["partner", "pain", "guilt"], ["partner", "pain", "guilt"]),
        (["smoking", "pain", "smoking"], ["smoking", "pain"]),
        (["pain", "pain", "pain", "guilt"], ["pain", "guilt"]),
        (("guilt",), ["guilt"]),
    ],
)
def test_valid_top_concerns(v1, chosen, expected):
    assert validate_top_concerns(v1, chosen, SELECTED) == expected


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (["pain", "guilt", "partner", "smoking"], "Select up to 3 concerns"),
        (["breathing"], "Select from the concerns you told us about"),
        (["no_such_concern"], "Select from the concerns you told us about"),
        (["pain", "breathing"], "Select from the concerns you told us about"),
    ],
    ids=["too many", "not selected", "unknown", "mixed"],
)
def test_invalid_top_concerns(v1, chosen, message):
    with pytest.raises(AnswerError) as raised:
        validate_top_concerns(v1, chosen, SELECTED)
    assert (raised.value.field, raised.value.message) == ("top_concerns", message)


def test_selected_ids_not_in_the_questionnaire_cannot_become_top_concerns(v1):
    with pytest.raises(AnswerError):
        validate_top_concerns(v1, ["made_up"], ["made_up"])


@pytest.mark.parametrize(
    ("limit", "chosen", "message"),
    [
        (1, ["pain", "guilt"], "Select up to 1 concern"),
        (2, ["pain", "guilt", "smoking"], "Select up to 2 concerns"),
    ],
)
def test_top_concerns_limit_comes_from_the_questionnaire(v1, limit, chosen, message):
    questionnaire = variant(v1, max_top_concerns=limit)
    assert validate_top_concerns(questionnaire, chosen[:limit], SELECTED) == chosen[:limit]
    with pytest.raises(AnswerError, match=message):
        validate_top_concerns(questionnaire, chosen, SELECTED)


def test_top_concerns_refuses_a_single_string(v1):
    with pytest.raises(TypeError):
        validate_top_concerns(v1, "pain", SELECTED)


# --- Free text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "max_length", "expected"),
    [
        ("I worry about work", 100, "I worry about work"),
        ("  padded  ", 100, "padded"),
        ("", 100, ""),
        (None, 100, ""),
        ("  \n \t ", 100, ""),
        ("one\r\ntwo", 100, "one\ntwo"),
        ("one\rtwo", 100, "one\ntwo"),
        ("one\u2028two\u2029three", 100, "one\ntwo\nthree"),
        ("one\n\ntwo", 100, "one\n\ntwo"),
        ("col\tumn", 100, "col\tumn"),
        ("nul\x00here", 100, "nulhere"),
        ("bell\x07 escape\x1b delete\x7f c1\x85 \x9f", 100, "bell escape delete c1"),
        ("\x00\x00 start", 100, "start"),
        ("lone \ud800surrogate", 100, "lone surrogate"),
        # Escaping belongs to the template; stored text is what the person typed.
        ("<script>alert(1)</script> & 'quotes'", 100, "<script>alert(1)</script> & 'quotes'"),
        ("Café, naïve, 日本語, 👨‍👩‍👧", 100, "Café, naïve, 日本語, 👨‍👩‍👧"),
        ("abc", 3, "abc"),
        (" abc \n", 3, "abc"),
        ("a\r\nb", 3, "a\nb"),
        ("a\x00b\x00c", 3, "abc"),
        ("x" * 1000, 1000, "x" * 1000),
    ],
    ids=repr,
)
def test_free_text_is_cleaned(value, max_length, expected):
    assert validate_free_text(value, max_length) == expected


@pytest.mark.parametrize(
    ("value", "max_length", "message"),
    [
        ("abcd", 3, "Answer must be 3 characters or fewer"),
        ("a\nb\nc", 4, "Answer must be 4 characters or fewer"),
        ("x" * 1001, 1000, "Answer must be 1000 characters or fewer"),
        ("y" * 2001, 2000, "Answer must be 2000 characters or fewer"),
        (42, 100, "Enter your answer as text"),
        (["text"], 100, "Enter your answer as text"),
    ],
    ids=["over by one", "newlines count", "anything else", "what matters", "number", "list"],
)
def test_invalid_free_text(value, max_length, message):
    with pytest.raises(AnswerError) as raised:
        validate_free_text(value, max_length, field="matters_most")
    assert (raised.value.field, raised.value.message) == ("matters_most", message)


def test_free_text_field_defaults_to_answer():
    with pytest.raises(AnswerError) as raised:
        validate_free_text("abc", 2)
    assert raised.value.field == "answer"


@pytest.mark.parametrize("max_length", [0, -1, True, 2.5, "100", None], ids=repr)
def test_free_text_needs_a_positive_max_length(max_length):
    with pytest.raises(ValueError, match="max_length must be a positive whole number"):
        validate_free_text("text", max_length)


# --- Priority ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distress", "scores", "high_distress", "high_scoring", "level"),
    [
        (3, {}, False, (), LEVEL_ROUTINE),
        (4, {}, True, (), LEVEL_HIGH),
        (0, {}, False, (), LEVEL_ROUTINE),
        (10, {}, True, (), LEVEL_HIGH),
        (None, {}, False, (), LEVEL_ROUTINE),
        (3, {"pain": 6}, False, (), LEVEL_ROUTINE),
        (3, {"pain": 7}, False, ("pain",), LEVEL_ROUTINE),
        (4, {"pain": 7, "guilt": 6}, True, ("pain",), LEVEL_HIGH),
        (2, {"pain": None, "guilt": None}, False, (), LEVEL_ROUTINE),
        (2, {"pain": 0, "guilt": 10}, False, ("guilt",), LEVEL_ROUTINE),
        # Highest score first; equal scores in questionnaire order, not the order given.
        (
            5,
            {"pain": 7, "guilt": 9, "breathing": 7, "partner": 10, "smoking": 6},
            True,
            ("partner", "guilt", "breathing", "pain"),
            LEVEL_HIGH,
        ),
    ],
)
def test_hna_priority(v1, distress, scores, high_distress, high_scoring, level):
    assert hna_priority(distress, scores, v1) == Priority(
        distress=distress,
        high_distress=high_distress,
        high_scoring_concerns=high_scoring,
        level=level,
    )


@pytest.mark.parametrize(
    ("distress_threshold", "concern_threshold", "distress", "score", "level", "high_scoring"),
    [
        (6, 8, 5, 7, LEVEL_ROUTINE, ()),
        (6, 8, 6, 8, LEVEL_HIGH, ("pain",)),
        (0, 0, 0, 0, LEVEL_HIGH, ("pain",)),
    ],
)
def test_hna_priority_thresholds_come_from_the_questionnaire(
    v1, distress_threshold, concern_threshold, distress, score, level, high_scoring
):
    distress_definition = {**v1.to_dict()["distress"], "threshold": distress_threshold}
    questionnaire = variant(
        v1, distress=distress_definition, concern_score_threshold=concern_threshold
    )
    priority = hna_priority(distress, {"pain": score}, questionnaire)
    assert (priority.level, priority.high_scoring_concerns) == (level, high_scoring)


@pytest.mark.parametrize("score", [9, 1, None])
def test_hna_priority_rejects_unknown_concerns_whatever_their_score(v1, score):
    with pytest.raises(KeyError, match="no_such_concern"):
        hna_priority(5, {"pain": 8, "no_such_concern": score}, v1)


def test_sort_key_orders_the_team_list(v1):
    submissions = {
        "distress 0": (0, {}),
        "distress 3, one high concern": (3, {"pain": 8}),
        "no distress score": (None, {"pain": 10, "guilt": 10}),
        "distress 9": (9, {}),
        "distress 3, three high concerns": (3, {"pain": 7, "guilt": 9, "partner": 10}),
        "distress 4": (4, {"pain": 3}),
        "distress 9, two high concerns": (9, {"pain": 7, "guilt": 7}),
    }
    priorities = {
        name: hna_priority(distress, scores, v1) for name, (distress, scores) in submissions.items()
    }
    assert sorted(priorities, key=lambda name: priorities[name].sort_key) == [
        "distress 9, two high concerns",
        "distress 9",
        "distress 4",
        "distress 3, three high concerns",
        "distress 3, one high concern",
        "distress 0",
        "no distress score",
    ]


@pytest.mark.parametrize(
    ("more_urgent", "less_urgent"),
    [
        ((4, {}), (3, {"pain": 10, "guilt": 10, "partner": 10})),
        ((5, {}), (4, {})),
        ((3, {"pain": 7}), (3, {"pain": 6})),
        ((0, {}), (None, {})),
    ],
    ids=["threshold beats concerns", "higher distress", "more high concerns", "unanswered last"],
)
def test_sort_key_pairs(v1, more_urgent, less_urgent):
    assert hna_priority(*more_urgent, v1).sort_key < hna_priority(*less_urgent, v1).sort_key


# --- Nurse summary -----------------------------------------------------------------------

FULL_ANSWERS: dict[str, Any] = {
    "distress": 6,
    "concerns": {
        "smoking": 2,
        "pain": 8,
        "guilt": 5,
        "breathing": 3,
        "partner": 9,
        "money_housing": None,
    },
    "domains_none": ["spiritual"],
    "top_concerns": ["partner", "pain"],
    "what_matters": {
        "who_supports_you": "My sister, Jo.",
        "matters_most": "  Seeing my grandchildren  ",
    },
    "anything_else": "Parking at the hospital\n",
}


def test_summary_sections_are_in_reading_order(v1):
    assert list(summarise_for_nurse(v1, FULL_ANSWERS)) == [
        "questionnaire",
        "distress",
        "priority",
        "top_concerns",
        "what_matters",
        "other_concerns",
        "anything_else",
    ]


def test_summary_of_full_answers(v1):
    summary = summarise_for_nurse(v1, FULL_ANSWERS)
    assert summary["questionnaire"] == {
        "key": "hna",
        "version": 1,
        "title": "Holistic Needs Assessment",
    }
    assert summary["distress"] == {
        "question": v1.distress.question,
        "score": 6,
        "threshold": 4,
        "high": True,
    }
    assert summary["priority"] == {
        "level": "high",
        "high_distress": True,
        "high_scoring_concerns": ["partner", "pain"],
    }
    assert summary["top_concerns"] == [
        {
            "id": "partner",
            "text": "My partner",
            "domain_id": "family",
            "domain_title": "Family and relationships",
            "score": 9,
            "score_summary": None,
            "high": True,
        },
        {
            "id": "pain",
            "text": "Pain",
            "domain_id": "physical",
            "domain_title": "Physical",
            "score": 8,
            "score_summary": None,
            "high": True,
        },
    ]
    # Every question keeps its wording, answered or not, so the nurse sees what was asked.
    assert [(item["id"], item["question"], item["answer"]) for item in summary["what_matters"]] == [
        ("matters_most", "What matters most to you now?", "Seeing my grandchildren"),
        ("would_like_to_do", "What would you like to be able to do?", ""),
        ("who_supports_you", "Who is important to you and supports you?", "My sister, Jo."),
        (
            "team_should_know",
            "Is there anything you would like your care team to know about you?",
            "",
        ),
    ]
    assert summary["anything_else"] == {
        "id": "anything_else",
        "question": "Is there anything else that worries you?",
        "answer": "Parking at the hospital",
    }


def test_summary_other_concerns_exclude_top_ones_and_follow_questionnaire_order(v1):
    groups = summarise_for_nurse(v1, FULL_ANSWERS)["other_concerns"]
    assert [
        (
            group["domain_id"],
            group["domain_title"],
            [(concern["id"], concern["score"], concern["high"]) for concern in group["concerns"]],
        )
        for group in groups
    ] == [
        ("physical", "Physical", [("breathing", 3, False)]),
        ("emotional", "Emotional", [("guilt", 5, False)]),
        ("practical", "Practical", [("money_housing", None, False)]),
        ("lifestyle", "Lifestyle and information", [("smoking", 2, False)]),
    ]


@pytest.mark.parametrize(
    ("answers", "top_ids", "other_groups"),
    [
        ({}, [], []),
        ({"concerns": {"pain": 7}}, [], [("physical", ["pain"])]),
        ({"concerns": {"pain": 7}, "top_concerns": ["pain"]}, ["pain"], []),
        (
            {"concerns": {"pain": 1, "fever": 1, "breathing": 1}, "top_concerns": ["fever"]},
            ["fever"],
            [("physical", ["breathing", "pain"])],
        ),
        (
            {
                "concerns": {"laundry": 4, "partner": 4, "guilt": 4},
                "top_concerns": ["laundry", "guilt", "laundry"],
            },
            ["laundry", "guilt"],
            [("family", ["partner"])],
        ),
    ],
    ids=["empty", "no top", "all top", "rest in questionnaire order", "top order kept"],
)
def test_summary_concern_grouping(v1, answers, top_ids, other_groups):
    summary = summarise_for_nurse(v1, answers)
    assert [concern["id"] for concern in summary["top_concerns"]] == top_ids
    assert [
        (group["domain_id"], [concern["id"] for concern in group["concerns"]])
        for group in summary["other_concerns"]
    ] == other_groups


def test_summary_of_empty_answers(v1):
    summary = summarise_for_nurse(v1, {})
    assert summary["distress"]["score"] is None
    assert summary["priority"]["level"] == "routine"
    assert [item["answer"] for item in summary["what_matters"]] == ["", "", "", ""]
    assert summary["anything_else"]["answer"] == ""


def test_summary_is_json_ready(v1):
    summary = summarise_for_nurse(v1, FULL_ANSWERS)
    assert json.loads(json.dumps(summary)) == summary


@pytest.mark.parametrize(
    "answers",
    [
        {"concerns": {"no_such_concern": 5}},
        {"concerns": {"pain": 5}, "top_concerns": ["no_such_concern"]},
        {"domains_none": ["no_such_domain"]},
        {"what_matters": {"no_such_question": "text"}},
    ],
    ids=["concern", "top concern", "domain", "what matters"],
)
def test_summary_refuses_ids_it_cannot_show(v1, answers):
    # Dropping something the person reported would be worse than failing loudly.
    with pytest.raises(KeyError, match="no_such_"):
        summarise_for_nurse(v1, answers)


# --- Progress and submission -------------------------------------------------------------


def complete_answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "distress": 5,
        "concerns": {"pain": 7, "guilt": 4},
        "domains_none": ["practical", "family", "spiritual", "lifestyle"],
        "top_concerns": ["pain"],
        "what_matters": {
            "matters_most": "Family",
            "would_like_to_do": "Walk the dog",
            "who_supports_you": "My partner",
            "team_should_know": "I am hard of hearing",
        },
        "anything_else": "Parking",
    }
    answers.update(changes)
    return answers


def test_step_ids_in_form_order(v1):
    assert step_ids(v1) == [
        "distress",
        *DOMAIN_STEPS,
        "scores",
        "top",
        "anything_else",
        *MATTERS_STEPS,
    ]


@pytest.mark.parametrize(
    ("step", "required"),
    [
        ("distress", True),
        ("domain:physical", True),
        ("domain:lifestyle", True),
        ("scores", True),
        ("top", False),
        ("anything_else", False),
        ("matters:matters_most", False),
    ],
)
def test_required_steps(step, required):
    assert is_required_step(step) is required


@pytest.mark.parametrize(
    ("answers", "not_answered", "missing"),
    [
        pytest.param(
            {},
            ["distress", *DOMAIN_STEPS, "anything_else", *MATTERS_STEPS],
            ["distress", *DOMAIN_STEPS],
            id="nothing yet: no scores or top step without concerns",
        ),
        pytest.param(complete_answers(), [], [], id="complete"),
        pytest.param(complete_answers(distress=0), [], [], id="distress 0 is an answer"),
        pytest.param(
            complete_answers(distress=None), ["distress"], ["distress"], id="no distress"
        ),
        pytest.param(
            complete_answers(concerns={"pain": 7, "guilt": None}),
            ["scores"],
            ["scores"],
            id="one concern unscored",
        ),
        pytest.param(
            complete_answers(concerns={"pain": 0, "guilt": 0}),
            [],
            [],
            id="score 0 is an answer",
        ),
        pytest.param(
            complete_answers(top_concerns=[]),
            ["top"],
            [],
            id="top concerns optional",
        ),
        pytest.param(
            complete_answers(
                concerns={},
                top_concerns=[],
                domains_none=[step.removeprefix("domain:") for step in DOMAIN_STEPS],
            ),
            [],
            [],
            id="none of these everywhere: no scores or top step",
        ),
        pytest.param(
            complete_answers(domains_none=["practical", "family", "spiritual"]),
            ["domain:lifestyle"],
            ["domain:lifestyle"],
            id="one domain unanswered",
        ),
        pytest.param(
            complete_answers(concerns={"pain": 7}),
            ["domain:emotional"],
            ["domain:emotional"],
            id="a domain answered only through its concerns",
        ),
        pytest.param(
            complete_answers(anything_else="  \n", what_matters={"matters_most": " "}),
            ["anything_else", *MATTERS_STEPS],
            [],
            id="blank free text is not an answer but is optional",
        ),
        pytest.param(
            complete_answers(what_matters={"who_supports_you": "My son"}),
            ["matters:matters_most", "matters:would_like_to_do", "matters:team_should_know"],
            [],
            id="some what matters answered",
        ),
        pytest.param(
            {"distress": 8, "concerns": {"pain": None, "smoking": None}},
            [
                "domain:emotional",
                "domain:practical",
                "domain:family",
                "domain:spiritual",
                "scores",
                "top",
                "anything_else",
                *MATTERS_STEPS,
            ],
            [
                "domain:emotional",
                "domain:practical",
                "domain:family",
                "domain:spiritual",
                "scores",
            ],
            id="part-way through a draft",
        ),
    ],
)
def test_completion_state_and_missing_for_submission(v1, answers, not_answered, missing):
    assert completion_state(v1, answers) == not_answered
    assert missing_for_submission(v1, answers) == missing


def test_completion_state_rejects_unknown_concerns(v1):
    with pytest.raises(KeyError, match="no_such_concern"):
        completion_state(v1, {"concerns": {"no_such_concern": 3}})
