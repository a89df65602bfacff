"""A real gunicorn server on loopback for the tests that need one (the close
race, the browser tests): started, waited for, and always stopped."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO_ROOT


@contextmanager
def gunicorn(port: int, env: dict, log_path: Path, *, workers: int, timeout: int, until_up):
    """Serve ``delphi:create_server_app()`` on 127.0.0.1:``port`` with ``workers``
    workers of 4 threads; ``until_up(process)`` waits (bounded) until it
    answers. On the way out the server is terminated (killed after 20 s),
    and its log's tail printed if it did not stop cleanly."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "--threads", "4",
             "-b", f"127.0.0.1:{port}", "--timeout", str(timeout), "delphi:create_server_app()"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            until_up(process)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if process.returncode not in (0, -15):
        print(log_path.read_text()[-4000:])
