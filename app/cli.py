"""Command-line tasks: `flask create-admin`, `flask seed-demo`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .auth import invitations
from .extensions import db
from .models import Role, Team, User


def init_cli(app: Flask) -> None:
    from .auth.cli import init_auth_cli
    from .push.cli import init_push_cli
    from .symptoms.cli import init_symptoms_cli
    from .triage.cli import init_queue_cli

    init_auth_cli(app)
    init_content_cli(app)
    init_queue_cli(app)
    init_symptoms_cli(app)
    init_tasks_cli(app)
    init_push_cli(app)

    @app.cli.command("create-admin")
    @click.option("--name", required=True, help="The admin's full name")
    @click.option("--email", required=True, help="The admin's work email address")
    @click.option("--team", default=None, help="Team to create or join (optional)")
    @click.option("--base-url", default="http://localhost:5000", show_default=True)
    def create_admin(name: str, email: str, team: str | None, base_url: str) -> None:
        """Bootstrap an admin and print their one-time enrolment link and code."""
        email = email.strip().lower()
        if db.session.scalar(select(User.id).where(User.email == email)):
            raise click.ClickException(f"An account for {email} already exists.")
        team_obj = None
        if team:
            team_obj = db.session.scalar(select(Team).where(Team.name == team)) or Team(name=team)
        user = User(role=Role.ADMIN, display_name=name, email=email, team=team_obj)
        db.session.add(user)
        issued = invitations.issue(user, None)
        db.session.commit()
        click.echo(f"Admin {name} <{email}> created.")
        click.echo(f"Enrolment link (single use): {base_url.rstrip('/')}/enrol/{issued.token}")
        click.echo(f"Or enter this code at {base_url.rstrip('/')}/enrol : {issued.code_display}")

    @app.cli.command("seed-demo")
    @click.option("--base-url", default="http://localhost:5000", show_default=True)
    def seed_demo_command(base_url: str) -> None:
        """Create demo teams, staff and patients, and print invitation codes."""
        from .demo import seed_demo

        issued = seed_demo(base_url)
        click.echo("Demo data ready. Open the app and choose 'Try the demo' to sign in as anyone.")
        for inv in issued:
            dob = f", date of birth {inv.date_of_birth:%d %m %Y}" if inv.date_of_birth else ""
            click.echo(f"  Invitation for {inv.name} ({inv.role}): code {inv.code}{dob}")
            click.echo(f"    link: {inv.link}")


def init_content_cli(app: Flask) -> None:
    @app.cli.group("content")
    def content() -> None:
        """Clinical content: questionnaire versions."""

    @content.command("publish")
    @click.option("--file", "path", default=None, type=click.Path(exists=True, dir_okay=False),
                  help="A questionnaire definition (JSON). Without it, every bundled version not yet published.")
    def publish_command(path: str | None) -> None:
        """Publish questionnaire versions. Published versions are never changed."""
        from .hna import service
        from .hna.questionnaire import QuestionnaireError, load_questionnaire

        if path is None:
            added = service.publish_bundled_questionnaires()
        else:
            try:
                questionnaire = load_questionnaire(path)
                added = service.publish(questionnaire, None)
            except (QuestionnaireError, ValueError) as exc:
                raise click.ClickException(str(exc)) from exc
            db.session.commit()
        for record in added:
            click.echo(f"Published {record.key} version {record.version}")
        if not added:
            click.echo("Nothing new to publish.")


def init_tasks_cli(app: Flask) -> None:
    @app.cli.group("tasks")
    def tasks() -> None:
        """Background work (huey): reminders and the daily symptom sweep."""

    @tasks.command("consume")
    @click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
                  help="Tasks run at once (threads): sends mostly wait on the network.")
    def consume_command(workers: int) -> None:
        """Run the one task consumer: queued tasks, and the periodic ones on their schedule.
        Run exactly one per deployment (it also runs the periodic tasks); stop it with Ctrl-C
        or SIGTERM, which lets running tasks finish."""
        from .background import huey, storage_description

        if huey.immediate:
            raise click.ClickException("HUEY_IMMEDIATE is on: tasks already run where they are queued.")
        click.echo(f"Task consumer: {workers} worker{'s' if workers != 1 else ''}, queue in {storage_description()}.")
        huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True).run()
