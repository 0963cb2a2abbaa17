"""Scenario files: a mock's set-up (keys, credits, access, faults, media, webhook, clock,
seed, rate limit) as YAML, validated against ``openapi/scenario.schema.json``. A bad
file is refused with an error that names the line.

A scenario is named by a path, or by the name of one bundled with the package
(``offline-dev`` is ``mock_server/scenarios/offline-dev.yaml`` wherever the package is
installed): ``resolve_scenario`` tells which, ``bundled_scenarios`` lists them."""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from audioshake_kit.domain.spec import data_text

from .clock import parse_time
from .config import MockConfig

if TYPE_CHECKING:
    from .admin import MockAdmin

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_scenario",
    "bundled_scenarios",
    "describe",
    "load_scenario",
    "resolve_scenario",
]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and line."""


@dataclass
class Scenario:
    path: Path
    data: dict[str, Any]

    def configure(self, config: MockConfig) -> None:
        """The parts that must be known before the state is built."""
        clock = self.data.get("clock", {})
        if "mode" in clock:
            config.clock = clock["mode"]
        if "start" in clock:
            config.start = parse_time(clock["start"])
        if "speed" in clock:
            config.speed = float(clock["speed"])
        if "seed" in self.data:
            config.seed = int(self.data["seed"])
        if "rateLimit" in self.data:
            limit = self.data["rateLimit"]
            config.rate_limit = None if limit == "off" else int(limit)


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped in the package, by name (the file name without ``.yaml``)."""
    folder = Path(str(importlib.resources.files(__package__ or "mock_server") / "scenarios"))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def describe(path: Path) -> str:
    """The first line of a scenario's ``description`` ("" when it has none)."""
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ""
    text = data.get("description") if isinstance(data, dict) else None
    return str(text).strip().splitlines()[0] if text else ""


def resolve_scenario(scenario: str | Path) -> Path:
    """The file of ``scenario``: a ``Path``, an existing file, or anything that looks like
    a path (a separator, a ``.yaml``/``.yml`` suffix) is taken as a path; any other
    string is the name of a bundled scenario (``ScenarioError`` listing them if none)."""
    if isinstance(scenario, Path):
        return scenario
    path = Path(scenario)
    looks_like_path = "/" in scenario or "\\" in scenario or path.suffix in (".yaml", ".yml")
    if looks_like_path or path.is_file():
        return path
    bundled = bundled_scenarios()
    if scenario in bundled:
        return bundled[scenario]
    names = ", ".join(bundled) or "none"
    raise ScenarioError(
        f"{scenario}: no such scenario file, and no bundled scenario of that name "
        f"(bundled: {names})"
    )


def load_scenario(scenario: str | Path) -> Scenario:
    """Read and check a scenario (a path, or a bundled scenario's name)."""
    path = resolve_scenario(scenario)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario ({exc.strerror})") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    schema = json.loads(data_text("scenario.schema.json"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        path_to = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # point at the unexpected key itself, not at the mapping that holds it
            allowed = set(error.schema.get("properties", {}))
            path_to += [k for k in error.instance if k not in allowed][:1]
        line = _line_of(node, path_to)
        raise ScenarioError(f"{path}:{line}: {where}: {error.message}")
    return Scenario(path, data)


def _line_of(node: Any, path: list[Any]) -> int:
    """1-based line of the YAML node at ``path`` (or of its nearest parent)."""
    line = (node.start_mark.line + 1) if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def apply_scenario(scenario: Scenario, admin: MockAdmin) -> None:
    """The parts applied through the admin API once the state exists."""
    for k in scenario.data.get("keys", []):
        credits = k.get("credits")
        admin.put_key(
            k["key"],
            None if credits in (None, "unlimited") else float(credits),
            k.get("enabledModels"),
            unlimited=credits == "unlimited",
        )
        if "webhook" in k:
            admin.set_webhook(k["key"], k["webhook"]["url"], k["webhook"].get("secret"))
    for f in scenario.data.get("faults", []):
        admin.add_fault(**f)
    for f in scenario.data.get("httpFaults", []):
        f = dict(f)
        if "latencyMs" in f:
            f["latency_ms"] = f.pop("latencyMs")
        admin.add_http_fault(**f)
    for m in scenario.data.get("media", []):
        if "file" in m:
            admin.register_media(m["url"], path=scenario.path.parent / m["file"])
        else:
            admin.register_media(m["url"], duration_seconds=m["durationSeconds"])
