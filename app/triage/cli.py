"""`flask queue raise-due-reviews`: raise queue items for care plan reviews that have passed.

Register with `init_queue_cli(app)` from `app.cli.init_cli`. Safe to run as often as you like
(e.g. nightly from cron): each plan's overdue review is raised once.
"""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models import Team
from ..timeutil import utcnow
from .working_days import LONDON


def init_queue_cli(app: Flask) -> None:
    @app.cli.group("queue")
    def queue() -> None:
        """The team triage queue."""

    @queue.command("raise-due-reviews")
    def raise_due_reviews_command() -> None:
        """Add a queue item for every current care plan whose review date has passed."""
        from .service import raise_due_reviews

        today = utcnow().astimezone(LONDON).date()
        total = 0
        for team in db.session.scalars(select(Team).order_by(Team.id)):
            raised = raise_due_reviews(team.id, today)
            db.session.commit()
            if raised:
                click.echo(f"{team.name}: {raised} overdue care plan review{'s' if raised != 1 else ''} added")
            total += raised
        click.echo(f"{total} item{'s' if total != 1 else ''} added to team queues.")
