"""Versioned records (optimistic locking through a `version` column): telling a person's own
retried save, or double-click, apart from a colleague's change.

A retry of a save that already worked arrives carrying the version the page showed, which is
now one behind. Answering it with "someone else changed this" would be wrong and alarming, so
these helpers recognise it; a genuine colleague's change still gets the usual conflict.
"""
from __future__ import annotations

import enum
from typing import Any, Callable

from sqlalchemy.orm.exc import StaleDataError

from .extensions import db


def is_own_retry(latest: Any, base_version: int | None, author_id: int,
                 same_content: Callable[[Any], bool]) -> bool:
    """True when `latest` (the newest stored version, with `version` and `created_by_id`) is this
    person's own save of exactly this content, made from the version their page was based on:
    the same save sent twice (a double click or a retry), so it is already stored."""
    return (
        latest is not None and base_version is not None
        and latest.version == base_version + 1
        and latest.created_by_id == author_id
        and same_content(latest)
    )


class Switch(enum.Enum):
    DONE = "done"        # changed now
    ALREADY = "already"  # the same change was made a moment ago (a double click or a retry)
    STALE = "stale"      # someone changed the record since the page was shown: nothing changed


def set_active(record: Any, active: bool, shown_version: int | None) -> Switch:
    """Stop or restart `record` (with `active` and a `version_id_col` named `version`) if it is
    still the version the page showed. Flushes; on a lost race the session is rolled back."""
    if shown_version is not None and shown_version == record.version:
        record.active = active
        try:
            db.session.flush()
            return Switch.DONE
        except StaleDataError:
            db.session.rollback()  # the record reloads below, as now stored
    if shown_version is not None and record.version == shown_version + 1 and record.active is active:
        return Switch.ALREADY
    return Switch.STALE
