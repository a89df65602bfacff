"""The application factory.

``create_app`` only wires things up: configuration, extensions, blueprints,
CLI commands. It creates no schema and touches no network;
``flask --app delphi init-db`` creates or upgrades the schema.
"""
from __future__ import annotations

import gc
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from werkzeug.middleware.proxy_fix import ProxyFix

from delphi import boundary, cli, errors, i18n, security
from delphi.charts import numbers
from delphi.config import Defaults
from delphi.core import database
from delphi.core.database import db
from delphi.extensions import babel, csrf, migrate
from delphi.views import blueprints

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _templates_dir() -> Path:
    """The Jinja templates: ``delphi/templates`` in an installed wheel (setup.cfg
    maps the top-level ``templates/`` folder there), else the checkout's
    ``templates/`` beside the package (a plain or an editable checkout)."""
    installed = PACKAGE_DIR / "templates"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "templates"


TEMPLATES_DIR = _templates_dir()

log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    Configuration, later wins: :class:`delphi.config.Defaults`, then
    ``instance/config.py``, then ``DELPHI_*`` environment variables, then
    ``test_config``.
    """
    app = Flask(
        "delphi",
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    if os.environ.get("DELPHI_INSTANCE_PATH"):
        app.instance_path = os.environ["DELPHI_INSTANCE_PATH"]
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DELPHI")
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    _configure_secret_key(app)
    uri = database.database_uri(app.config["DATABASE_URL"], app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **database.engine_options(uri, app.config["SQLITE_BUSY_TIMEOUT"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    if app.config["SESSION_COOKIE_SECURE"] is None:
        secure = str(app.config["BASE_URL"]).startswith("https://")
        app.config["SESSION_COOKIE_SECURE"] = secure
        app.config["REMEMBER_COOKIE_SECURE"] = secure

    if app.config.get("PROXY_COUNT"):
        # Behind N trusted reverse proxies: take the client address (login
        # throttling) and the scheme from their X-Forwarded-* headers.
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)

    babel.init_app(app, locale_selector=i18n.select_locale)
    boundary.init_app(app)  # before the blueprints: their <int:...> routes take its converter
    security.init_app(app)
    i18n.init_app(app)
    numbers.init_app(app)  # the number and percent filters of every template

    _configure_template_cache(app)
    errors.init_app(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    cli.init_app(app)
    return app


def create_server_app() -> Flask:
    """The application as a long-running server runs it (``wsgi:app``, or
    gunicorn's ``'delphi:create_server_app()'``): :func:`create_app`, then what
    starting it made (modules, mappers, Babel's locale data, compiled
    templates: all kept for the life of the worker) is put out of the garbage
    collector's reach with :func:`gc.freeze`.

    Without it, the first large page a fresh worker served paid for a full
    collection walking every one of those objects: about 150 ms of a closed
    round's dashboard or report (``bench/bench_pages.py``), which then never
    recurred. Tests build their applications with :func:`create_app`, which
    freezes nothing."""
    app = create_app()
    gc.collect()  # what starting left behind is freed, not frozen
    gc.freeze()
    return app


def _configure_template_cache(app: Flask) -> None:
    """Jinja's bytecode cache in ``TEMPLATE_CACHE_DIR`` (see :class:`Defaults`),
    shared by the workers of the instance."""
    folder = app.config.get("TEMPLATE_CACHE_DIR")
    if folder == "" or folder is False:
        return
    folder = folder or os.path.join(app.instance_path, "template-cache")
    os.makedirs(folder, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(folder)


def _configure_secret_key(app: Flask) -> None:
    """Use the configured key, else ``instance/secret_key``, else an ephemeral one.

    There is never a hard-coded secret. ``init-db`` writes the instance file.
    """
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    else:
        log.warning("No DELPHI_SECRET_KEY and no instance/secret_key: using an "
                    "ephemeral key (run `flask --app delphi init-db`).")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_EPHEMERAL"] = True
