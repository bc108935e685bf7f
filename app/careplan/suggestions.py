"""Which kinds of service fit a concern best, as versioned data.

The mapping lives in ``app/content/careplan/service-suggestions-v<version>.json``: HNA concern
ids (from the questionnaire the file names) to directory categories, best first. It is edited
by hand, so loading is strict: an unknown concern id or category, a duplicate key or a missing
field fails in tests and at first use rather than quietly suggesting nothing.

Plain Python only (no Flask or SQLAlchemy).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..directory.models import ServiceCategory
from ..hna.questionnaire import CONTENT_DIR as HNA_CONTENT_DIR
from ..hna.questionnaire import load_questionnaire

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "careplan"
CURRENT_FILE = CONTENT_DIR / "service-suggestions-v1.json"
KEY = "service-suggestions"


class SuggestionsError(ValueError):
    """The suggestions file is not valid."""


@dataclass(frozen=True)
class ServiceSuggestions:
    version: int
    questionnaire_key: str
    questionnaire_version: int
    by_concern: Mapping[str, tuple[ServiceCategory, ...]]
    # Symptoms the team itself deals with (e.g. a fever): no directory service is suggested.
    team_only: frozenset[str] = frozenset()

    def suggests_services(self, concern_id: str | None) -> bool:
        return (concern_id or "") not in self.team_only

    def categories_for(self, concern_id: str | None) -> tuple[ServiceCategory, ...]:
        """The categories that fit the concern, best first (none for a typed-in concern)."""
        return self.by_concern.get(concern_id or "", ())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise SuggestionsError(f"{key!r} is given twice")
        seen[key] = value
    return seen


def parse(data: Any, concern_ids: set[str] | None = None) -> ServiceSuggestions:
    """Validate parsed JSON. `concern_ids`: the questionnaire's (read from the file it names
    when not given)."""
    if not isinstance(data, dict):
        raise SuggestionsError("the file must hold a JSON object")
    if data.get("key") != KEY:
        raise SuggestionsError(f"'key' must be {KEY!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SuggestionsError("'version' must be a whole number from 1")
    named = data.get("questionnaire")
    if (not isinstance(named, dict) or not isinstance(named.get("key"), str)
            or not isinstance(named.get("version"), int) or isinstance(named.get("version"), bool)):
        raise SuggestionsError("'questionnaire' must name the HNA questionnaire: {\"key\": ..., \"version\": ...}")
    if concern_ids is None:
        path = HNA_CONTENT_DIR / f"{named['key']}-v{named['version']}.json"
        if not path.is_file():
            raise SuggestionsError(f"no questionnaire {named['key']} version {named['version']} ({path.name})")
        concern_ids = set(load_questionnaire(path).all_concern_ids)
    concerns = data.get("concerns")
    if not isinstance(concerns, dict) or not concerns:
        raise SuggestionsError("'concerns' must map concern ids to lists of categories")
    categories = {c.value: c for c in ServiceCategory}
    by_concern: dict[str, tuple[ServiceCategory, ...]] = {}
    for concern_id, wanted in concerns.items():
        if concern_id not in concern_ids:
            raise SuggestionsError(
                f"unknown concern {concern_id!r}: not in {named['key']} version {named['version']}")
        if not isinstance(wanted, list) or not wanted:
            raise SuggestionsError(f"{concern_id}: give a list of one or more categories")
        for category in wanted:
            if category not in categories:
                raise SuggestionsError(
                    f"{concern_id}: unknown category {category!r} (one of {', '.join(sorted(categories))})")
        if len(set(wanted)) != len(wanted):
            raise SuggestionsError(f"{concern_id}: a category is listed twice")
        by_concern[concern_id] = tuple(categories[c] for c in wanted)
    team_only = data.get("team_only", [])
    if not isinstance(team_only, list) or not all(isinstance(c, str) for c in team_only):
        raise SuggestionsError("'team_only' must list concern ids")
    for concern_id in team_only:
        if concern_id not in concern_ids:
            raise SuggestionsError(
                f"unknown concern {concern_id!r} in 'team_only': not in {named['key']} version {named['version']}")
        if concern_id in by_concern:
            raise SuggestionsError(f"{concern_id}: in both 'concerns' and 'team_only'")
    return ServiceSuggestions(version, named["key"], named["version"], by_concern, frozenset(team_only))


def load(path: Path, concern_ids: set[str] | None = None) -> ServiceSuggestions:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except (OSError, json.JSONDecodeError) as error:
        raise SuggestionsError(f"{path.name}: {error}") from None
    except SuggestionsError as error:
        raise SuggestionsError(f"{path.name}: {error}") from None
    try:
        return parse(data, concern_ids)
    except SuggestionsError as error:
        raise SuggestionsError(f"{path.name}: {error}") from None


@lru_cache(maxsize=1)
def current() -> ServiceSuggestions:
    """The bundled suggestions (read once)."""
    return load(CURRENT_FILE)
