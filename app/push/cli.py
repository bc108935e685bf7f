"""`flask push generate-vapid`: a new VAPID key for the server, as environment lines.

Register with `init_push_cli(app)` from `app.cli.init_cli`. Settings come from the environment
(config.py), so the key is printed for the deployment's secret store rather than written into
a file here. Changing the key ends every existing subscription: browsers subscribed with the
old public key are refused by their push service and subscribe again when the person next
turns notifications on.
"""
from __future__ import annotations

import click
from flask import Flask

from .vapid import new_private_key, public_key_for


def init_push_cli(app: Flask) -> None:
    @app.cli.group("push")
    def push() -> None:
        """Web Push notifications."""

    @push.command("generate-vapid")
    def generate_vapid_command() -> None:
        """Print a new VAPID key pair as environment lines (keep the private key secret)."""
        private_key = new_private_key()
        click.echo(f"VAPID_PRIVATE_KEY={private_key}")
        click.echo("# The matching public key (browsers get it from the app; shown for checking):")
        click.echo(f"# VAPID_PUBLIC_KEY={public_key_for(private_key)}")
        click.echo("VAPID_SUBJECT=mailto:<an address the push services can reach you at>")
