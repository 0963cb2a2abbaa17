"""A wheel carries the spec and the catalog as package data, so an installed kit works
without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# One worker builds the wheel for both tests: two workers building from ROOT at once share
# ROOT/build, and one zipped the other's half-written tree (a wheel without the kit, seen
# once in CI: the import then fell through to the checkout).
pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        cwd=out,
    )
    (whl,) = out.glob("audioshake_kit-*.whl")
    return whl


def test_wheel_holds_the_three_packages_and_real_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "audioshake_kit/data/audioshake.yaml",
        "audioshake_kit/data/models.yaml",
        "audioshake_kit/data/models.schema.json",
        "audioshake_client/__init__.py",
        "audioshake_client/api/tasks/create_task.py",
        "mock_server/__init__.py",
    ):
        assert required in names, required
    spec = zipfile.ZipFile(wheel).read("audioshake_kit/data/audioshake.yaml")
    assert spec.startswith(b"openapi: 3.1.0")  # a file, not a dangling symlink


def test_installed_wheel_loads_catalog_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import audioshake_kit, audioshake_client;"
        "from audioshake_kit.domain.spec import load_spec;"
        "c = audioshake_kit.get_catalog();"
        "print(audioshake_kit.__file__, audioshake_client.__file__, len(c.models),"
        " load_spec()['info']['title'])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    kit_file, client_file, n_models, *title = run.stdout.split()
    assert kit_file.startswith(str(site)) and client_file.startswith(str(site))
    assert int(n_models) == 25
    assert " ".join(title) == "AudioShake Tasks API"
