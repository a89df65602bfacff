"""Registration point for the CLI commands of later features."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Each feature module adds its commands here (``app.cli.add_command``)."""
