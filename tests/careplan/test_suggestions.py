"""Which services a concern is offered first: the versioned concern-to-category data, checked."""
from __future__ import annotations

import json

import pytest

from app.careplan import service, suggestions
from app.careplan.suggestions import CURRENT_FILE, SuggestionsError
from app.directory.models import ServiceCategory
from app.extensions import db
from app.hna.questionnaire import CONTENT_DIR, load_questionnaire
from app.models import PatientProfile
from tests.careplan.helpers import make_service


def test_the_bundled_file_is_valid_and_names_only_real_concerns_and_categories():
    loaded = suggestions.load(CURRENT_FILE)
    concern_ids = set(load_questionnaire(CONTENT_DIR / "hna-v1.json").all_concern_ids)
    assert loaded.version == 1 and set(loaded.by_concern) <= concern_ids
    assert loaded.categories_for("worry_fear_anxiety")[0] is ServiceCategory.PSYCHOLOGICAL_SUPPORT
    assert loaded.categories_for("tiredness")[0] is ServiceCategory.REHABILITATION
    assert loaded.categories_for("eating_appetite") == (ServiceCategory.DIETITIAN,)
    assert loaded.categories_for("money_housing") == (ServiceCategory.MONEY_AND_BENEFITS,)
    assert loaded.categories_for("caring_responsibilities") == (ServiceCategory.CARERS_SUPPORT,)
    assert loaded.categories_for(None) == () and loaded.categories_for("typed in") == ()


def _write(tmp_path, **changes):
    data = json.loads(CURRENT_FILE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "service-suggestions-v1.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("concerns, message", [
    ({"worry_about_nothing": ["psychological_support"]}, "unknown concern 'worry_about_nothing'"),
    ({"pain": ["physiotherapy"]}, "unknown category 'physiotherapy'"),
    ({"pain": []}, "one or more categories"),
    ({"pain": ["exercise", "exercise"]}, "listed twice"),
    ({}, "'concerns' must map"),
])
def test_a_mistake_in_the_file_fails_loudly(tmp_path, concerns, message):
    with pytest.raises(SuggestionsError, match=message):
        suggestions.load(_write(tmp_path, concerns=concerns))


def test_an_unknown_questionnaire_or_a_duplicate_key_fails(tmp_path):
    with pytest.raises(SuggestionsError, match="no questionnaire hna version 99"):
        suggestions.load(_write(tmp_path, questionnaire={"key": "hna", "version": 99}))
    path = tmp_path / "service-suggestions-v1.json"
    path.write_text('{"key": "service-suggestions", "version": 1, "version": 2}', encoding="utf-8")
    with pytest.raises(SuggestionsError, match="given twice"):
        suggestions.load(path)


def test_the_best_fitting_category_comes_first_then_the_domain_then_the_rest(app, actors):
    with app.app_context():
        carers = make_service("Riverside Carers' Centre", actors.team_a, domains=("family", "practical", "emotional"),
                              category=ServiceCategory.CARERS_SUPPORT)
        maggies = make_service("Maggie's", actors.team_a, domains=("emotional", "practical"),
                               category=ServiceCategory.CHARITY_SUPPORT)
        psychology = make_service("Psychology", actors.team_a, domains=("emotional",))
        money = make_service("Benefits advice", actors.team_a, domains=("practical",),
                             category=ServiceCategory.MONEY_AND_BENEFITS)
        dietitians = make_service("Dietitians", actors.team_a, domains=("physical",), category=ServiceCategory.DIETITIAN)
        services = service.services_for(db.session.get(PatientProfile, actors.profile_a))

        def order(concern_id, domain):
            return [i for i, _ in service.service_options(services, domain, concern_id)]

        assert order("worry_fear_anxiety", "emotional")[:3] == [psychology.id, carers.id, maggies.id]
        assert order("money_housing", "practical")[0] == money.id
        assert order("caring_responsibilities", "practical")[0] == carers.id
        assert order("eating_appetite", "physical")[0] == dietitians.id
        options = service.service_options(services, "emotional", "worry_fear_anxiety")
        assert options[0][1] == "Suggested: Psychology (Psychological support)"
        assert options[-1][1] == "Money and benefits advice: Benefits advice"  # not for this concern
        # A typed-in concern has no id: its domain decides, as before.
        assert order(None, "practical")[0] in {carers.id, maggies.id, money.id}


def test_a_symptom_the_team_deals_with_is_offered_no_service(app, actors):
    """A fever or breathing problem is for the team (and maybe 999), not for a dietitian or an
    exercise class because they share the physical domain."""
    with app.app_context():
        make_service("Dietitians", actors.team_a, domains=("physical",), category=ServiceCategory.DIETITIAN)
        make_service("Move More", actors.team_a, domains=("physical",), category=ServiceCategory.EXERCISE)
        services = service.services_for(db.session.get(PatientProfile, actors.profile_a))
        for concern_id in ("fever", "breathing"):
            labels = [label for _, label in service.service_options(services, "physical", concern_id)]
            assert labels == ["Dietitian: Dietitians", "Exercise: Move More"], concern_id
        assert service.service_options(services, "physical", "tiredness")[0][1].startswith("Suggested: ")


@pytest.mark.parametrize("team_only, message", [
    (["no_such_concern"], "unknown concern 'no_such_concern' in 'team_only'"),
    (["eating_appetite"], "eating_appetite: in both 'concerns' and 'team_only'"),
    ("fever", "'team_only' must list concern ids"),
])
def test_a_mistake_in_team_only_fails_loudly(team_only, message):
    data = json.loads(CURRENT_FILE.read_text())
    data["team_only"] = team_only
    with pytest.raises(SuggestionsError, match=message):
        suggestions.parse(data)
