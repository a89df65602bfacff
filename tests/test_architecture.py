"""The import contracts of setup.cfg hold, can fail, and cover every module.

``lint-imports`` (import-linter) checks the ``[importlinter]`` contracts:
the floors (imports run only downward), analysis pure, rounds and the core
without the web. These tests run the venv's ``lint-imports`` on the real
tree, on a copy with one upward import added, and check that no module
directly under ``delphi/`` is left out of the floors.
"""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
FLOORS = "Four floors: imports run only downward"
#: Folders and modules directly under delphi/ that are not floors of their own:
#: the core floor is named as one, the rest holds no code that imports.
NOT_A_FLOOR = {"core", "migrations", "data", "static", "translations", "__init__"}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: pip install -e '.[test]'")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], check=False, cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_contracts_hold_on_the_tree():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{FLOORS} KEPT" in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_floors(tmp_path):
    for package in ("delphi", "rounds", "analysis"):
        shutil.copytree(REPO_ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "setup.cfg", tmp_path / "setup.cfg")
    (tmp_path / "rounds" / "_probe.py").write_text(
        '"""An upward import, to prove the contract catches it."""\nimport delphi.views  # noqa: F401\n')

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert f"{FLOORS} BROKEN" in result.stdout, result.stdout
    assert "rounds is not allowed to import delphi.views" in result.stdout
    assert "rounds._probe -> delphi.views" in result.stdout, result.stdout


def floors_modules() -> set[str]:
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    layers = config["importlinter:contract:floors"]["layers"]
    return {name for name in re.split(r"[\s|:]+", layers) if name}


def test_every_module_under_delphi_is_on_a_floor():
    under_delphi = {path.stem for path in (REPO_ROOT / "delphi").iterdir()
                    if (path.suffix == ".py" or (path.is_dir() and path.name != "__pycache__"))}
    named = floors_modules()
    missing = sorted(f"delphi.{name}" for name in under_delphi - NOT_A_FLOOR
                     if f"delphi.{name}" not in named)
    assert not missing, f"not in a layer of setup.cfg's floors contract: {missing}"
    assert "delphi.core" in named
