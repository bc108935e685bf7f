"""`flask sign-in-delays`: clear the waits wrong passwords built up (app/auth/throttle.py)."""
from __future__ import annotations

import click
from flask import Flask

from ..extensions import db
from ..nhs_number import InvalidNHSNumber, normalise_nhs_number
from . import throttle


def init_auth_cli(app: Flask) -> None:
    @app.cli.group("sign-in-delays")
    def sign_in_delays() -> None:
        """Waits imposed after wrong passwords (they also wear off on their own)."""

    @sign_in_delays.command("clear")
    @click.option("--nhs-number", default=None, help="Clear the count for this NHS number")
    @click.option("--address", default=None, help="Clear the count for this IP address")
    @click.option("--all", "everything", is_flag=True, help="Clear every count")
    def clear(nhs_number: str | None, address: str | None, everything: bool) -> None:
        """Let someone try their password again straight away."""
        if not (nhs_number or address or everything):
            raise click.UsageError("Say what to clear: --nhs-number, --address or --all.")
        cleared = 0
        if nhs_number:
            try:
                cleared += throttle.clear_account(normalise_nhs_number(nhs_number))
            except InvalidNHSNumber as exc:
                raise click.BadParameter(str(exc), param_hint="--nhs-number") from exc
        if address:
            cleared += throttle.clear_address(address.strip())
        if everything:
            cleared += throttle.clear_all()
        db.session.commit()
        click.echo(f"Cleared {cleared} {'count' if cleared == 1 else 'counts'}.")

    @sign_in_delays.command("forget-finished")
    def forget_finished() -> None:
        """Remove counts with nothing left in them (safe to run nightly)."""
        removed = throttle.forget_finished()
        db.session.commit()
        click.echo(f"Removed {removed} finished {'count' if removed == 1 else 'counts'}.")
