"""The layering rules (docs/ARCHITECTURE.md "Layout") hold in the code: each import-linter contract in
.importlinter is checked on its own, so a broken one names itself (and its offending imports) in the failure."""
from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest

from pasar import config

ROOT = config.ROOT
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_ids() -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ".importlinter")
    return [s.split(":", 2)[2] for s in parser.sections() if s.startswith("importlinter:contract:")]


def lint_imports(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_layering_contracts_are_all_written_down():
    assert set(contract_ids()) >= {"acyclic", "rooms-apart", "kernel-below", "pure-domain", "api-no-sqlalchemy"}


@pytest.mark.parametrize("contract", contract_ids())
def test_the_code_keeps_the_layering_contract(contract):
    result = lint_imports("--contract", contract)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_cycle_breaks_the_acyclic_contract(tmp_path):
    """The contract can fail: two modules that import each other (the old pages.py <-> storefront.py shape)."""
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pages.py").write_text("from . import storefront\n")
    (package / "storefront.py").write_text("def page():\n    from .pages import bp  # a late import is still one\n")
    (tmp_path / ".importlinter").write_text("[importlinter]\nroot_package = loopy\n\n"
                                            "[importlinter:contract:acyclic]\nname = acyclic\n"
                                            "type = acyclic_siblings\nancestors = loopy\n")
    result = lint_imports(cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "No cycles are allowed in loopy" in result.stdout
