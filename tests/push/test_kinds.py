"""The notification kinds: what the lock screen shows, which page a tap opens, and the Web Push
headers each kind is sent with."""
import re

import pytest

from app.push.kinds import KINDS, TOPIC_PATTERN, URGENCIES, UnknownKind, open_url_for, payload_for

# The kinds the reminders and other areas send, by id: a rename breaks their calls.
EXPECTED_KINDS = {"hna", "test_due", "test_overdue", "gp_review", "care_plan", "team_reply", "reentry_status"}

# Words that would tell someone glancing at a lock screen about the person's illness or care.
CLINICAL_WORDS = re.compile(
    r"cancer|tumou?r|oncolog|chemo|radiother|psa|scan|blood|biopsy|result|symptom|diagnos|"
    r"mammogra|prostate|breast|bowel|colorectal|surveillance|holistic|needs assessment|recurren",
    re.IGNORECASE,
)


def test_the_kinds_are_exactly_the_ones_other_areas_send():
    assert set(KINDS) == EXPECTED_KINDS


@pytest.mark.hazard("HAZ-021")
@pytest.mark.parametrize("kind_id", sorted(EXPECTED_KINDS))
def test_what_a_lock_screen_shows_carries_no_clinical_detail(kind_id):
    payload = payload_for(kind_id, "Your care team")
    for value in payload.values():
        assert not CLINICAL_WORDS.search(value), value
    assert set(payload) == {"title", "body", "kind", "topic"}


@pytest.mark.parametrize("kind_id", sorted(EXPECTED_KINDS))
def test_each_kind_has_web_push_headers_a_push_service_takes(kind_id):
    kind = KINDS[kind_id]
    assert TOPIC_PATTERN.fullmatch(kind.topic)
    assert kind.urgency in URGENCIES
    # Nothing urgent relies on push: the home page and the team's queue show it.
    assert kind.urgency != "high"
    assert 3600 <= kind.ttl_seconds <= 28 * 24 * 3600


def test_every_kind_has_its_own_topic():
    topics = [kind.topic for kind in KINDS.values()]
    assert len(set(topics)) == len(topics)


@pytest.mark.parametrize("kind_id, page", [
    ("hna", "/hna"),
    ("test_due", "/my-care/follow-up"),
    ("test_overdue", "/my-care/follow-up"),
    ("gp_review", "/my-care"),
    ("care_plan", "/my-care/plan"),
    ("team_reply", "/my-care/messages"),
    ("reentry_status", "/my-care"),
])
def test_a_tap_opens_the_page_for_its_kind(app, kind_id, page):
    assert open_url_for(kind_id) == page
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(page, method="GET")
    assert endpoint != "static"


def test_an_unknown_kind_is_refused():
    with pytest.raises(UnknownKind):
        open_url_for("lottery_win")
    with pytest.raises(UnknownKind):
        payload_for("", "Your care team")
