"""The venvs hold the installed wheel and nothing of this checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ROOT, Venv

WHERE = """
import json, sys
from importlib.metadata import entry_points
import audioshake_kit, audioshake_client
found = {"audioshake_kit": audioshake_kit.__file__, "audioshake_client": audioshake_client.__file__}
import mock_server
found["mock_server"] = mock_server.__file__  # in both: the extra adds its dependencies
found["sys.path"] = sys.path
found["pytest11"] = [ep.value for ep in entry_points(group="pytest11")]
print(json.dumps(found))
"""


@pytest.mark.parametrize("name", ["base_venv", "mock_venv"])
def test_imports_come_from_the_venv(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venv: Venv = request.getfixturevalue(name)
    found = json.loads(venv.run(["python", "-c", WHERE], cwd=tmp_path).stdout)
    for module in ("audioshake_kit", "audioshake_client", "mock_server"):
        assert venv.owns(found[module]), (module, found[module])
    assert not [p for p in found["sys.path"] if p and str(ROOT) in p], found["sys.path"]
    assert "mock_server.pytest_plugin" in found["pytest11"], found["pytest11"]
