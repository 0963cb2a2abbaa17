"""Types for users: a user's module, checked with ``mypy --strict`` against the installed
wheel alone (the base venv), sees concrete types from the facade and the generated
client, not ``Any``.

mypy is the dev venv's, pointed at the venv's interpreter (``--python-executable``), run
from a folder outside the checkout with no config file, so it finds ``audioshake_kit``
and ``audioshake_client`` only in the venv's site-packages, and only if they ship
``py.typed``. ``--strict`` includes ``--warn-unused-ignores``: the ``type: ignore`` on
``formats=["wav"]`` is the claim the README makes (mypy wants ``OutputFormat``
members), checked both ways.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from .conftest import Venv, run

USER_MODULE = """\
from __future__ import annotations

from pathlib import Path

from audioshake_client import AuthenticatedClient
from audioshake_client.api.models import list_models
from audioshake_client.models import OutputFormat, TargetRequest

from audioshake_kit import AudioShake


def facade() -> None:
    client = AudioShake("k")
    reveal_type(client)
    reveal_type(client.get_task("x"))
    estimate = client.estimate(Path("song.wav"), ["vocals", ("drums", ["wav", "mp3"])])
    reveal_type(estimate)
    reveal_type(estimate.total)
    result = client.separate("song.wav", ["vocals"], "stems")
    reveal_type(result)
    reveal_type(result.failed)
    reveal_type(result.files)


def generated() -> None:
    api = AuthenticatedClient(
        "https://api.audioshake.ai", token="k", prefix="", auth_header_name="x-api-key"
    )
    reveal_type(list_models.sync(client=api))
    target = TargetRequest(model="vocals", formats=[OutputFormat.WAV])
    reveal_type(target)
    reveal_type(target.formats)
    TargetRequest(model="vocals", formats=["wav"])  # type: ignore[list-item]
"""

EXPECTED = [
    "audioshake_kit.client.AudioShake",
    "audioshake_client.models.task.Task",
    "audioshake_kit.types.Estimate",
    "float",
    "audioshake_kit.types.TaskResult",
    "tuple[audioshake_kit.types.FailedTarget, ...]",
    "tuple[pathlib.Path, ...]",
    "audioshake_client.models.error.Error | audioshake_client.models.model_list.ModelList | None",
    "audioshake_client.models.target_request.TargetRequest",
    "list[audioshake_client.models.output_format.OutputFormat]",
]
REVEALED = re.compile(r'note: Revealed type is "(.*)"$', re.MULTILINE)


def _mypy() -> Path:
    found = Path(sys.executable).parent / "mypy"
    return found if found.exists() else Path(shutil.which("mypy") or "mypy")


def test_a_users_module_type_checks_strictly_with_concrete_types(
    base_venv: Venv, tmp_path: Path
) -> None:
    (tmp_path / "user.py").write_text(USER_MODULE, encoding="utf-8")
    done = run(
        [
            str(_mypy()),
            "--python-executable",
            str(base_venv.python),
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--config-file",
            "/dev/null",
            "--no-color-output",
            "--no-error-summary",
            "user.py",
        ],
        cwd=tmp_path,
        env=base_venv.env({"MYPY_FORCE_COLOR": "0"}),
        timeout=300,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 0 and not errors, done.stdout + done.stderr
    revealed = REVEALED.findall(done.stdout)
    assert revealed == EXPECTED, done.stdout


def test_formats_take_plain_strings_at_run_time(base_venv: Venv, tmp_path: Path) -> None:
    """What the README says about ``TargetRequest``: plain strings work when run."""
    code = (
        "from audioshake_client.models import OutputFormat, TargetRequest\n"
        "t = TargetRequest(model='vocals', formats=['wav'])\n"
        "assert t.to_dict() == {'model': 'vocals', 'formats': ['wav']}, t.to_dict()\n"
        "assert OutputFormat('wav') is OutputFormat.WAV and OutputFormat('opus') == 'opus'\n"
    )
    base_venv.run(["python", "-c", code], cwd=tmp_path)
