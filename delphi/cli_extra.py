"""Registration point for the CLI commands of later features."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Each feature module adds its commands here (``app.cli.add_command``)."""
    from delphi.mail import cli as mail_cli

    mail_cli.init_app(app)  # send-mail, close-due-rounds
    from delphi.exports import cli as exports_cli

    exports_cli.init_app(app)  # export
