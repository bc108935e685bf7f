"""`flask symptoms sweep`: the daily check of the symptom log's duration and persistence rules.

Register with `init_symptoms_cli(app)` from `app.cli.init_cli`. Safe to run as often as you like
(e.g. each morning from cron): an entry whose level has risen is sent to its team once.
"""
from __future__ import annotations

import click
from flask import Flask

from ..extensions import db


def init_symptoms_cli(app: Flask) -> None:
    @app.cli.group("symptoms")
    def symptoms() -> None:
        """The symptom log."""

    @symptoms.command("sweep")
    def sweep_command() -> None:
        """Send the team every logged symptom that has now lasted, or been logged, long enough to be a red flag."""
        from .service import sweep

        risen = sweep()
        db.session.commit()
        click.echo(f"{risen} symptom{'s' if risen != 1 else ''} raised to the team queues.")
