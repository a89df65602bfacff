"""Regenerate ``0001_initial_schema.py`` from the models.

Until the first release the schema is one initial migration, rewritten from
the models whenever they change (deterministic: the same models give the
same file). After a release, add ordinary ``flask db migrate`` revisions
instead and delete this script.

Usage: ``python scripts/regenerate_initial_migration.py``
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "delphi" / "migrations" / "versions"
TARGET = VERSIONS / "0001_initial_schema.py"
REVISION = "0001"

TRIGGERS = '''

def _audit_log_append_only():
    """The audit log cannot be changed or deleted, whatever the client."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for when in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{when.lower()} BEFORE {when} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
'''


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DELPHI_DATABASE_URL": f"sqlite:///{tmp}/empty.sqlite",
               "DELPHI_SECRET_KEY": "regenerate", "DELPHI_INSTANCE_PATH": tmp}
        if TARGET.exists():
            TARGET.unlink()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "delphi", "db", "migrate",
                               "-d", str(ROOT / "delphi" / "migrations"), "-m", "initial schema",
                               "--rev-id", REVISION], env=env, cwd=ROOT, capture_output=True,
                              text=True)
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            return done.returncode
    generated = next(VERSIONS.glob(f"{REVISION}_*.py"))
    text = generated.read_text()
    generated.unlink()
    text = re.sub(r"Create Date: .*\n", "", text)
    text = text.replace("    # ### end Alembic commands ###\n",
                        "    # ### end Alembic commands ###\n    _audit_log_append_only()\n", 1)
    text = text.replace(
        "def downgrade():\n",
        "def downgrade():\n    if op.get_bind().dialect.name == \"postgresql\":\n"
        "        op.execute(\"DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event\")\n"
        "        op.execute(\"DROP FUNCTION IF EXISTS audit_event_append_only()\")\n", 1)
    TARGET.write_text(text.rstrip() + "\n" + TRIGGERS)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
