"""Command-line interface: ``flask --app delphi <command>``.

One module per subject; each command calls the services and commits (or
rolls back) itself, like a request.
"""
from __future__ import annotations

from flask import Flask

from delphi.cli import accounts, charts, database, exports, mail
from delphi.exports.prerender import connect as connect_prerender
from delphi.mail.signals import connect as connect_mail

COMMANDS = (
    database.init_db, accounts.create_user, accounts.import_users, accounts.erase_user,
    database.demo,
    mail.send_mail, mail.close_due_rounds, exports.export_command, charts.charts,
)


def init_app(app: Flask) -> None:
    """Add every command; the commands that close rounds send mail, so the
    outbox listens to the Delphi process's signals, and the chart store's
    prerender to ``round_closed`` (:mod:`delphi.exports.prerender`)."""
    connect_mail()
    connect_prerender()
    for command in COMMANDS:
        app.cli.add_command(command)
