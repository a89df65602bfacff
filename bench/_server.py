"""What the load and crash benchmarks share: a database (a SQLite file or a
PostgreSQL database created or emptied for the run), a seeded study with an
open round, and a real gunicorn on 127.0.0.1 that is always stopped.

The study is :func:`bench._world.build_study`'s (bulk inserts, round 1 answered
and closed through ``rounds``), then round 2 (drafted by the close) is opened,
so panellists see the group's feedback, and a moderator and a researcher are
added. Every account's password is hashed once with the application's real
argon2 parameters (:data:`delphi.core.passwords.DEFAULT_ARGON2`), so logins
cost what they cost in production.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PASSWORD = "bench-password-2030"
CRITERIA = ("importance", "feasibility")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def loadavg() -> str:
    """The 1, 5 and 15-minute load averages, and the number of cores."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def database_url(kind: str, workdir: pathlib.Path, pg_name: str) -> str:
    """A fresh, empty database: a SQLite file in ``workdir``, or the PostgreSQL
    database ``pg_name`` on 127.0.0.1, dropped and created again."""
    if kind == "sqlite":
        path = workdir / "bench.sqlite"
        for suffix in ("", "-wal", "-shm", "-journal"):
            pathlib.Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if kind != "postgresql":
        raise SystemExit(f"unknown database {kind!r}")
    if not pg_name.replace("_", "").isalnum():
        raise SystemExit(f"bad PostgreSQL database name {pg_name!r}")
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{pg_name}"'))
    engine.dispose()
    return f"{PG_SERVER}/{pg_name}"


def make_app(url: str, instance: pathlib.Path):
    """The application on ``url`` with the real argon2 parameters."""
    from delphi import create_app

    instance.mkdir(parents=True, exist_ok=True)
    os.environ["DELPHI_INSTANCE_PATH"] = str(instance)
    # The seed's close draws no chart (the load would share the CPU with that
    # drawing); a chart is drawn by its first request, once, into the store.
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "MAIL_SERVER": "",
                       "CHART_PRERENDER": "off"})


@dataclass
class Seeded:
    """What the clients need to know about the seeded study."""

    study_id: int
    round_number: int
    item_ids: list[int]
    criteria: list[str]
    panellists: list[str]
    moderator: str
    researcher: str
    password: str = PASSWORD
    tokens: dict[str, str] = field(default_factory=dict)


def seed(app, n_panellists: int, n_items: int, *, tokens: bool = False) -> Seeded:
    """The schema, the plan and the study (see the module's docstring); with
    ``tokens``, one API token per panellist, made directly in the database."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update

    import rounds
    from bench._world import build_study
    from delphi.core.database import db
    from delphi.core.models import (
        ApiToken,
        ConsentRecord,
        Panellist,
        Round,
        RoundStatus,
        StaffRole,
        Study,
        User,
    )
    from delphi.core.passwords import hash_password
    from delphi.services.plan import load_plan

    with app.app_context():
        upgrade()
        load_plan()
        db.session.commit()
    study_id, _reports = build_study(app, n_panellists, n_items, CRITERIA, seed=13)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.is_admin.is_(True)))
        study = db.session.get(Study, study_id)
        staff = {}
        for role in (StaffRole.moderator, StaffRole.researcher):
            user = User(email=f"{role.value}@bench.example.org", name=role.value.title(),
                        password_hash="x", organisation_id=admin.organisation_id)
            db.session.add(user)
            db.session.flush()
            rounds.assign_staff(study, user, role, actor=admin)
            staff[role] = user.email
        next_round = db.session.scalar(select(Round).where(
            Round.study_id == study_id, Round.status == RoundStatus.draft))
        if next_round is None:
            next_round = rounds.draft_round(study, items=[ri.item for ri in study.rounds[0].round_items],
                                            actor=admin)
        rounds.open_round(next_round, actor=admin)
        # The panel has read the information sheet (as each panellist does once, on its page).
        version = rounds.current_version(study)
        db.session.execute(insert(ConsentRecord), [
            {"panellist_id": pid, "version_id": version.id, "language": "en",
             "accepted_at": datetime.now(UTC)}
            for pid in db.session.scalars(select(Panellist.id).where(
                Panellist.study_id == study_id,
                ~Panellist.id.in_(select(ConsentRecord.panellist_id))))])
        db.session.execute(update(User).values(password_hash=hash_password(PASSWORD)))
        db.session.commit()
        emails = list(db.session.scalars(select(User.email).where(
            User.email.like("p%@bench.example.org")).order_by(User.id)))
        seeded = Seeded(study_id=study_id, round_number=next_round.number,
                        item_ids=[ri.item_id for ri in next_round.round_items],
                        criteria=list(study.criteria), panellists=emails,
                        moderator=staff[StaffRole.moderator],
                        researcher=staff[StaffRole.researcher])
        if tokens:
            users = dict(db.session.execute(select(User.email, User.id)).all())
            for email in emails:
                token = secrets.token_urlsafe(32)
                db.session.add(ApiToken(user_id=users[email],
                                        token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                        expires_at=datetime.now(UTC) + timedelta(days=1)))
                seeded.tokens[email] = token
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn -w N --threads T delphi:create_server_app()`` (or another ``app``) on 127.0.0.1, in its own
    process group so that :meth:`kill9` reaches the master and every worker at
    once. :meth:`stop` (also on leaving the ``with`` block) terminates the group,
    and kills it after ``grace`` seconds."""

    def __init__(self, url: str, instance: pathlib.Path, log: pathlib.Path, *, workers: int,
                 threads: int = 4, port: int | None = None, app: str = "delphi:create_server_app()",
                 probe: str = "/api/v1/openapi.json"):
        self.url, self.instance, self.log_path = url, instance, log
        self.app, self.probe = app, probe
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        env = {**os.environ, "DELPHI_DATABASE_URL": self.url, "DELPHI_SECRET_KEY": "bench-secret",
               "DELPHI_INSTANCE_PATH": str(self.instance), "DELPHI_MAIL_SERVER": "",
               "PYTHONPATH": str(REPO)}
        env.pop("DELPHI_ARGON2_PARAMETERS", None)
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(pathlib.Path(sys.executable).parent / "gunicorn"), "-w", str(self.workers),
             "--threads", str(self.threads), "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
             self.app],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.probe)
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.1)  # between connection attempts while the server boots
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log_path}")

    def _signal_group(self, sig) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill9(self) -> None:
        """``kill -9`` the master and all its workers (the whole process group)."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
        self.process = None

    def stop(self, grace: float = 20.0) -> None:
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()
        self._signal_group(signal.SIGKILL)  # any worker left behind
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def stop_on_signals():
    """Turn SIGTERM and SIGHUP into ``SystemExit`` so that ``finally`` blocks (which
    stop the server) run whatever ends the script."""
    def leave(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, leave) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
