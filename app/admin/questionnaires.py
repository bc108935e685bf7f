"""Published HNA questionnaire versions as the admin area reads them: every one, newest first
within each questionnaire, and one by its id (for downloading as the start of the next)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..hna.models import QuestionnaireVersion


def published_versions() -> list[QuestionnaireVersion]:
    return list(db.session.scalars(
        select(QuestionnaireVersion).order_by(QuestionnaireVersion.key, QuestionnaireVersion.version.desc())
    ))


def published_version(version_id: int) -> QuestionnaireVersion | None:
    return db.session.get(QuestionnaireVersion, version_id)
