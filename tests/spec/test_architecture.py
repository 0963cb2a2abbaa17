"""The architecture holds: import contracts (``make lint`` runs them with import-linter,
configured in pyproject.toml), and what importing a layer actually loads.

ARCHITECTURE.md explains the layers these tests guard.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("audioshake_kit", "mock_server")


def _lint_imports(cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(str(p) for p in pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_makefile_lint_runs_the_import_contracts() -> None:
    lint = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in lint


def test_the_import_contracts_hold() -> None:
    out = _lint_imports(ROOT, [ROOT, ROOT / "generated"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("arch")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    shutil.copytree(ROOT / "generated", root / "generated", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


VIOLATIONS = [
    # (module to edit, line to append, the contract that must break, what it must name)
    (
        "audioshake_kit/domain/status.py",
        "from audioshake_kit.errors import APIError",
        "The domain depends on nothing above it",
        "audioshake_kit.domain.status -> audioshake_kit.errors",
    ),
    (
        "audioshake_kit/domain/billing.py",
        "import httpx",
        "The domain depends on nothing above it",
        "audioshake_kit.domain.billing -> httpx",
    ),
    (
        "mock_server/ids.py",
        "from audioshake_kit.client import AudioShake",
        "The mock uses only the domain of the kit",
        "mock_server.ids -> audioshake_kit.client",
    ),
    (
        "audioshake_kit/retries.py",
        "import mock_server.app",
        "Nothing in the kit imports the mock",
        "audioshake_kit.retries -> mock_server.app",
    ),
    (
        "audioshake_kit/types.py",
        "from audioshake_kit import sending",
        "The facade's layers",
        "audioshake_kit.types -> audioshake_kit.sending",
    ),
    (  # a cycle hidden in a function still counts
        "audioshake_kit/domain/catalog.py",
        "def _late():\n    from audioshake_kit.domain import rules  # noqa",
        "No import cycles",
        "No cycles are allowed in audioshake_kit.domain",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract", "names"), VIOLATIONS)
def test_a_deliberate_violation_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str, names: str
) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(original + "\n" + line + "\n")
    try:
        out = _lint_imports(tree, [tree, tree / "generated"])
    finally:
        path.write_text(original)
    assert out.returncode != 0, out.stdout
    broken = out.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert names in broken


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


def test_the_mock_app_loads_no_client() -> None:
    loaded = _loaded_after("import mock_server.app")
    assert "mock_server.app" in loaded
    kit = {m for m in loaded if m.startswith(("audioshake_kit", "audioshake_client"))}
    assert kit - {"audioshake_kit"} <= {m for m in kit if m.startswith("audioshake_kit.domain")}
    assert "audioshake_kit.client" not in loaded
    assert "audioshake_client" not in loaded


def test_the_domain_loads_nothing_else_of_the_kit() -> None:
    domain = sorted(p.stem for p in (ROOT / "audioshake_kit" / "domain").glob("[!_]*.py"))
    loaded = _loaded_after("\n".join(f"import audioshake_kit.domain.{m}" for m in domain))
    kit = {m for m in loaded if m.startswith(("audioshake_kit", "audioshake_client", "mock_"))}
    assert kit == {"audioshake_kit", "audioshake_kit.domain"} | {
        f"audioshake_kit.domain.{m}" for m in domain
    }


def _private_reaches(path: Path) -> list[str]:
    """``from X import _name`` with X another module, and imports of another package's
    private module (``audioshake_kit.batch`` importing ``audioshake_kit._requests``)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1]  # the package a relative import starts from
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = package[: len(package) - node.level + 1] if node.level else []
        module = [*base, *(node.module or "").split(".")] if node.module else base
        module = [m for m in module if m]
        private_mod = next(
            (i for i, m in enumerate(module) if m.startswith("_") and not m.startswith("__")), None
        )
        if private_mod is not None and module[:private_mod] != package:
            found.append(f"{'.'.join(parts)}:{node.lineno} imports {'.'.join(module)}")
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{'.'.join(parts)}:{node.lineno} imports {alias.name}")
    return found


def test_no_module_imports_private_names_of_another() -> None:
    files = [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")]
    assert [hit for p in sorted(files) for hit in _private_reaches(p)] == []


def _own_private_names(tree: ast.Module) -> set[str]:
    """Private members that classes of this module define (methods, ``self._x = …``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if n.startswith("_")}


def _private_attributes(path: Path) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self``/``cls`` and no class of this module
    defines ``_name``: one module reaching into another module's objects."""
    tree = ast.parse(path.read_text())
    own = _own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in own
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    return found


def test_no_module_reaches_into_private_members() -> None:
    files = [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")]
    assert [hit for p in sorted(files) for hit in _private_attributes(p)] == []
