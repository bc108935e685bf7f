"""The kinds of notification a person can be sent, and what each one says and does.

Plain data and pure functions (no Flask, no database), shared by the sending service, the
settings page and the reminders. Lock screens are not private: anyone holding the phone reads
a notification, so every body here is neutral, names no illness, test or result, and only says
that there is something to see; the app shows the rest after sign-in (HAZ-021).

Each kind carries its Web Push headers (RFC 8030): a TTL so a phone that is off for a while still
gets it, an Urgency (never "high": nothing urgent relies on push, the home page and the team's
queue show it) and a Topic, so a newer notification of the same kind replaces an older one the
push service has not delivered yet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

HOUR = 3600
DAY = 24 * HOUR

URGENCIES = ("very-low", "low", "normal", "high")
# RFC 8030: a topic is at most 32 characters of the URL-safe base64 alphabet.
TOPIC_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Kind:
    id: str
    # What the person switches on or off on the settings page (after sign-in: may be specific).
    label: str
    hint: str
    # What the lock screen shows: neutral, no clinical detail.
    body: str
    # The page a tap on the notification opens (a path on this site).
    opens: str
    ttl_seconds: int
    urgency: str
    topic: str


KINDS: dict[str, Kind] = {kind.id: kind for kind in (
    Kind("hna", "Needs assessment offered or due",
         "When your team offers you a Holistic Needs Assessment, or one is waiting for you.",
         "You have a form to fill in from your care team", "/hna", 3 * DAY, "low", "hna"),
    Kind("test_due", "A test is due soon",
         "A few weeks before a surveillance test is due.",
         "You have a reminder about something coming up", "/my-care/follow-up", 7 * DAY, "low", "test_due"),
    Kind("test_overdue", "A test is overdue",
         "When a surveillance test is past its due date, or you have not heard about one.",
         "You have a reminder about something that is due", "/my-care/follow-up", 3 * DAY, "normal",
         "test_overdue"),
    Kind("gp_review", "GP Cancer Care Review",
         "Before the reviews your GP practice offers in the first year after diagnosis.",
         "You have a reminder to contact your GP practice", "/my-care", 7 * DAY, "low", "gp_review"),
    Kind("care_plan", "Care plan updated or due for review",
         "When your team changes your care plan, or its review date is near.",
         "You have an update from your care team", "/my-care/plan", 3 * DAY, "low", "care_plan"),
    Kind("team_reply", "Reply from your care team",
         "When a nurse replies to one of your messages or requests.",
         "You have a new message from your care team", "/my-care/messages", 1 * DAY, "normal",
         "team_reply"),
    Kind("reentry_status", "Update on your request to be seen",
         "When the status of your request to be seen changes.",
         "There is an update on your request to your care team", "/my-care", 1 * DAY, "normal",
         "reentry_status"),
)}


class UnknownKind(ValueError):
    pass


def kind_for(kind_id: str) -> Kind:
    try:
        return KINDS[kind_id]
    except KeyError:
        raise UnknownKind(f"No notification kind {kind_id!r}.") from None


def open_url_for(kind_id: str) -> str:
    """The page a tap on a notification of this kind opens: a path on this site, never an
    address from the payload (the service worker keeps the same table: static/js/push-kinds.js)."""
    return kind_for(kind_id).opens


def payload_for(kind_id: str, title: str) -> dict[str, str]:
    """Everything a push message carries: the neutral title and body, the kind and its topic
    (the notification's tag, so a newer one replaces an older one on the phone too)."""
    kind = kind_for(kind_id)
    return {"title": title, "body": kind.body, "kind": kind.id, "topic": kind.topic}
