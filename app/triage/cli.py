"""`flask queue raise-due-reviews`: raise queue items for care plan reviews that have passed.

Register with `init_queue_cli(app)` from `app.cli.init_cli`. Safe to run as often as you like
(the task queue's consumer runs the same every quarter hour, app/triage/tasks.py): each plan's
overdue review is raised once.
"""
from __future__ import annotations

import click
from flask import Flask

from ..timeutil import london_today


def init_queue_cli(app: Flask) -> None:
    @app.cli.group("queue")
    def queue() -> None:
        """The team triage queue."""

    @queue.command("raise-due-reviews")
    def raise_due_reviews_command() -> None:
        """Add a queue item for every current care plan whose review date has passed."""
        from .service import raise_due_reviews_for_every_team

        run = raise_due_reviews_for_every_team(london_today())
        total = 0
        for team, raised in run.raised:
            if raised:
                click.echo(f"{team.name}: {raised} overdue care plan review{'s' if raised != 1 else ''} added")
            total += raised
        click.echo(f"{total} item{'s' if total != 1 else ''} added to team queues.")
        for team in run.failed:
            click.echo(f"{team.name}: failed, nothing added (the error is in the log); run this again.", err=True)
        if run.failed:
            raise SystemExit(1)
