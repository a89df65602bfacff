"""Default configuration.

Order of precedence (later wins), as in :func:`delphi.create_app`:
these defaults, then ``instance/config.py``, then ``DELPHI_*`` environment
variables (``DELPHI_DATABASE_URL``, ``DELPHI_SECRET_KEY``, ...), then the
mapping a test passes in.
"""
from datetime import timedelta
from pathlib import Path

from flask import current_app

from delphi.core.policy import DEFAULT_POLICY, Policy


class Defaults:
    #: SQLAlchemy URL; ``None`` means SQLite in the instance folder.
    DATABASE_URL = None
    #: Never hard-coded: generated into ``instance/secret_key`` by ``init-db``.
    SECRET_KEY = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: Seconds a SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT = 30

    # Sessions and cookies (Secure is switched on when not in debug/testing).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # decided in create_app
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    #: A logged-in session ends after this long without the user's own activity
    #: (the questionnaire's autosave does not count) ...
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    #: ... and this long after login, however active (re-signing never renews it).
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # CSRF: tokens live as long as a session, so a form left open over
    # lunch still saves (its draft is kept in any case).
    WTF_CSRF_TIME_LIMIT = 12 * 3600

    #: The largest request body accepted (bytes): a larger one is a 413, JSON
    #: under /api/, a page elsewhere. Answers and protocol forms are far smaller.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    #: Number of trusted reverse proxies in front of the app (0: none). Set it
    #: behind nginx & co., or every client looks like the proxy to the throttle.
    PROXY_COUNT = 0

    # Login throttling (counted in the database, so it holds across workers).
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
    LOGIN_MAX_FAILURES_PER_CLIENT = 30
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    #: An account's failures from every address together lock it: first for this
    #: long, then twice as long for each further lock in a row, at most the max;
    #: a series is forgotten after a day without locks.
    LOGIN_LOCK_FIRST = timedelta(minutes=5)
    LOGIN_LOCK_MAX = timedelta(hours=1)
    LOGIN_LOCK_MEMORY = timedelta(days=1)

    #: Admins must log in with two-factor login (TOTP): one without it sets it up first.
    ADMIN_TOTP_REQUIRED = False

    # API bearer tokens.
    API_TOKEN_LIFETIME = timedelta(days=30)

    # Languages.
    LANGUAGES = DEFAULT_POLICY.languages
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    #: Absolute, so the catalogs are found whatever the working directory.
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")

    # Charts (delphi.charts.store, delphi.exports.prerender).
    #: How a closed round's charts are drawn into the store after the close
    #: commits: "subprocess" (``flask charts render``, detached), "inline"
    #: (in the closing process, after the commit) or "off" (on first request).
    CHART_PRERENDER = "subprocess"
    #: Languages drawn at the close (None: every one of ``LANGUAGES``).
    CHART_PRERENDER_LANGUAGES = None
    #: Draw each item's charts too, not only the round's and the report's.
    CHART_PRERENDER_ITEMS = True
    #: A worker that lost the insert of a missing chart waits this long for the
    #: winner's bytes (re-reading every CHART_WAIT_POLL s), then draws it itself.
    CHART_WAIT_SECONDS = 20
    CHART_WAIT_POLL = 0.05
    #: A claim older than this (its worker died while drawing) is taken over.
    CHART_CLAIM_SECONDS = 120
    #: Open rounds' live charts are kept this long in each worker's memory.
    CHART_LIVE_SECONDS = 30
    CHART_LIVE_ENTRIES = 256

    #: Compiled templates (Jinja's bytecode cache) are kept in this folder
    #: (None: ``instance/template-cache``; "" switches it off), so a fresh
    #: worker loads them instead of compiling every template of its first
    #: pages again; a changed template is compiled anew (checksum of the source).
    TEMPLATE_CACHE_DIR = None

    #: Version of the privacy notice the consent refers to.
    PRIVACY_NOTICE_VERSION = DEFAULT_POLICY.privacy_notice_version

    # Mail (issue: invitations and reminders).
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "delphi@localhost"
    BASE_URL = "http://127.0.0.1:5000"

    # Exports: every quasi-identifier combination is shared by at least k panellists.
    EXPORT_K_ANONYMITY = DEFAULT_POLICY.k_anonymity
    # Subgroup and feedback cells with fewer answers than this are suppressed.
    MIN_CELL = DEFAULT_POLICY.min_cell


def current_policy() -> Policy:
    """The running application's :class:`delphi.core.policy.Policy` (read from
    its configuration once, then kept in ``app.extensions``)."""
    app = current_app._get_current_object()
    policy = app.extensions.get("delphi_policy")
    if policy is None:
        policy = app.extensions["delphi_policy"] = Policy.from_config(app.config)
    return policy
