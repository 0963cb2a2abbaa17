"""Recordings brought home: a cassette's JSON answers as test fixtures (each checked
against the spec first), and a mock tenant seeded with the state a recording ended in.

``write_fixtures(cassette, out_dir)`` writes each JSON answer of a spec operation as
``NNN-<operationId>-<status>.json`` (``NNN``: its place in the cassette); an answer that
breaks the spec stops it (``FixtureDriftError`` naming each finding) unless
``allow_drift``, so no fixture silently teaches a test something the spec denies.

``seed_tenant(admin, key, cassette)`` rebuilds, in a mock, the assets and tasks the
recording saw last: each asset uploaded again (the recorded media when the cassette is a
file made with ``--record-media``, else synthesised music of the recorded duration, in
the recorded format; a cassette given as YAML text never reads files), each task created again on it with the recorded targets, and every
target brought to its recorded status: ``error`` through a one-off target fault with the
recorded code and message, ``completed`` by moving the mock's clock until its outputs are
rendered (at the recorded durations), ``processing`` by creating the task after that.
Ids are the mock's own: the result maps each recorded id to its new one. It moves the
mock's clock; target fault rules in force are set aside while it seeds and put back
after. The recording is checked (shape, formats, models, the key) before anything is
added; a refusal of the mock mid-way (credits, a target it rejects) leaves what was
seeded before it.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from audioshake_kit.domain.spec import load_spec

from ..errors import MockError
from ..validation import spec_validators
from .checks import SpecChecker
from .drift import Violation
from .operations import OperationIndex

if TYPE_CHECKING:
    from ..admin import MockAdmin
    from ..records import Tenant

__all__ = [
    "Cassette",
    "FixtureDriftError",
    "RecordedAnswer",
    "SeedResult",
    "check_cassette",
    "recorded_answers",
    "seed_tenant",
    "write_fixtures",
]

_PLACEHOLDER = re.compile(
    r"<media (\d+) bytes, sha256 ([0-9a-f]{64}), (?:file (\S+)|not recorded)>"
)
_AUDIO = frozenset({"wav", "aiff", "flac", "mp3", "m4a", "aac", "mp4", "mov"})
DEFAULT_SECONDS = 10.0  # an asset no recorded target gives a duration for


class FixtureDriftError(ValueError):
    """Recorded answers that break the spec; ``violations`` lists the findings."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{len(violations)} recorded answer(s) break the spec:\n{lines}")


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """One JSON answer of a spec operation in a cassette."""

    index: int
    method: str
    path: str
    operation: str
    status: int
    headers: Mapping[str, str]
    body: Any


Cassette = Path | str
"""A cassette file, or a cassette's YAML text (``str``; media placeholders synthesised)."""


def _label(cassette: Cassette) -> str:
    return str(cassette) if isinstance(cassette, Path) else "cassette"


def _interactions(cassette: Cassette) -> list[dict[str, Any]]:
    try:
        text = cassette.read_text("utf-8") if isinstance(cassette, Path) else cassette
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{_label(cassette)}: not a readable cassette: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise ValueError(f"{_label(cassette)}: not a VCR.py cassette (no 'interactions' list)")
    for n, interaction in enumerate(data["interactions"]):
        ok = (
            isinstance(interaction, dict)
            and isinstance(request := interaction.get("request"), dict)
            and isinstance(request.get("method"), str)
            and isinstance(request.get("uri"), str)
            and isinstance(response := interaction.get("response"), dict)
            and isinstance(response.get("status"), dict)
            and isinstance(response["status"].get("code"), int)
            and isinstance(response.get("body"), dict)
            and isinstance(response.get("headers", {}), dict)
        )
        if not ok:
            raise ValueError(
                f"{_label(cassette)}: interaction {n} is not a VCR.py exchange (request "
                "with method and uri, response with status.code, headers and body)"
            )
    return list(data["interactions"])


def recorded_answers(cassette: Cassette) -> Iterator[RecordedAnswer]:
    """The cassette's JSON answers to operations of the spec, in recorded order."""
    index = OperationIndex(load_spec())
    for n, interaction in enumerate(_interactions(cassette)):
        request, response = interaction["request"], interaction["response"]
        headers = {k.lower(): v[0] for k, v in response.get("headers", {}).items() if v}
        if not headers.get("content-type", "").startswith("application/json"):
            continue
        path = urlsplit(request["uri"]).path
        operation = index.find(request["method"], path).operation
        if operation is None:
            continue
        raw = response["body"]["string"]
        try:
            body = json.loads(raw)
        except (TypeError, ValueError):
            continue
        yield RecordedAnswer(
            n, request["method"], path, operation, response["status"]["code"], headers, body
        )


def write_fixtures(cassette: Path, out_dir: Path, *, allow_drift: bool = False) -> list[Path]:
    """Each JSON answer as ``out_dir/NNN-<operationId>-<status>.json``, checked against
    the spec first: ``FixtureDriftError`` (nothing written) when one breaks it, unless
    ``allow_drift``. Undocumented fields are kept and do not count as drift."""
    checker = SpecChecker(load_spec(), spec_validators())
    answers = list(recorded_answers(cassette))
    drift = [
        v
        for a in answers
        for v in checker.response(a.operation, a.status, a.headers, a.body)
        if not v.undocumented
    ]
    if drift and not allow_drift:
        raise FixtureDriftError(drift)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for a in answers:
        path = out_dir / f"{a.index:03d}-{a.operation}-{a.status}.json"
        path.write_text(json.dumps(a.body, indent=2, sort_keys=True) + "\n", "utf-8")
        written.append(path)
    return written


# -- seeding ----------------------------------------------------------------------------


@dataclass
class SeedResult:
    """Recorded id → the mock's id, for assets and tasks; ``statuses``: each seeded task's
    target statuses as the mock now has them (recorded order)."""

    assets: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"assets", "tasks", "statuses"}`` as the admin API answers them."""
        return {"assets": self.assets, "tasks": self.tasks, "statuses": self.statuses}


@dataclass
class _Recorded:
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, Path] = field(default_factory=dict)  # asset id -> recorded bytes
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # last seen, by id


def _recorded_state(cassette: Cassette) -> _Recorded:
    state = _Recorded()
    uploads: dict[int, Path] = {}
    if isinstance(cassette, Path):  # YAML text comes without the files beside it
        for n, interaction in enumerate(_interactions(cassette)):
            body = interaction["request"].get("body")
            m = _PLACEHOLDER.fullmatch(body) if isinstance(body, str) else None
            if m and m.group(3):
                uploads[n] = cassette.parent / m.group(3)
    for a in recorded_answers(cassette):
        if a.status != 200:
            continue
        try:
            if a.operation == "uploadAsset":
                state.assets[a.body["id"]] = a.body
                if a.index in uploads:
                    state.media[a.body["id"]] = uploads[a.index]
            elif a.operation == "listAssets":
                for asset in a.body:
                    state.assets.setdefault(asset["id"], asset)
            elif a.operation in ("createTask", "getTask"):
                state.tasks[a.body["id"]] = a.body
            elif a.operation == "listTasks":
                for task in a.body:
                    state.tasks[task["id"]] = task
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"{_label(cassette)}: interaction {a.index} ({a.operation}): an answer "
                f"without the spec's shape ({type(exc).__name__}: {exc})"
            ) from None
    _check_recorded(state, _label(cassette))
    return state


def _check_recorded(recorded: _Recorded, label: str) -> None:
    """What seeding reads of each recorded asset and task is there (``ValueError``)."""
    for old_id, asset in recorded.assets.items():
        fmt = str(asset.get("format", "wav")).lower()
        if old_id not in recorded.media and fmt not in _AUDIO | {"txt", "json"}:
            raise ValueError(f"{label}: asset {old_id}: cannot rebuild format {fmt!r}")
    for task in recorded.tasks.values():
        targets = task.get("targets")
        fine = (
            isinstance(task.get("id"), str)
            and isinstance(task.get("createdAt"), str)
            and isinstance(targets, list)
            and all(
                isinstance(t, dict)
                and isinstance(t.get("model"), str)
                and isinstance(t.get("formats"), list)
                and t.get("status") in ("processing", "completed", "error")
                for t in targets
            )
        )
        if not fine:
            raise ValueError(
                f"{label}: task {task.get('id')!r}: needs id, createdAt and targets, each "
                "with model, formats and a status of processing, completed or error"
            )
        if task.get("assetId") not in recorded.assets and not task.get("url"):
            raise ValueError(f"{label}: task {task['id']}: its asset is not in the recording")


def check_cassette(cassette: Cassette) -> tuple[int, int]:
    """How many assets and tasks ``cassette`` would seed; ``ValueError`` naming what
    stops it (the key and the models are checked against a mock by ``seed_tenant``)."""
    recorded = _recorded_state(cassette)
    return len(recorded.assets), len(recorded.tasks)


def _target_request(target: Mapping[str, Any], assets: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": target["model"], "formats": list(target["formats"])}
    for name in ("variant", "language", "transcriptUrl"):
        if target.get(name) is not None:
            out[name] = target[name]
    if target.get("residual"):
        out["residual"] = True
    if target.get("transcriptAssetId") in assets:
        out["transcriptAssetId"] = assets[target["transcriptAssetId"]]
    return out


def _duration(asset_id: str, tasks: Mapping[str, Mapping[str, Any]]) -> float:
    seen = [
        float(t["duration"])
        for task in tasks.values()
        if task.get("assetId") == asset_id
        for t in task["targets"]
        if t.get("duration")
    ]
    return max(seen, default=DEFAULT_SECONDS)


def seed_tenant(
    admin: MockAdmin, key: str, cassette: Cassette, *, max_advance_s: float = 86_400
) -> SeedResult:
    """Rebuild in the mock, for ``key``, the assets and tasks ``cassette`` (a file, or
    its YAML text) saw last (see the module's docstring). Raises ``ValueError`` naming
    what cannot be rebuilt."""
    recorded = _recorded_state(cassette)
    label = _label(cassette)
    store = admin.state.store
    try:
        tenant = store.authenticate(key)
    except MockError as exc:
        raise ValueError(f"key {key!r}: this mock does not accept it ({exc.message})") from None
    for task in recorded.tasks.values():
        for t in task["targets"]:
            if t["model"] not in admin.state.catalog:
                raise ValueError(f"{label}: task {task['id']}: unknown model {t['model']!r}")
    kept = admin.faults()  # set aside: they would fail targets the recording completed
    admin.clear_faults()
    try:
        return _seed(admin, key, tenant, recorded, max_advance_s)
    finally:
        admin.clear_faults()
        for rule in kept:
            admin.add_fault(**{k: v for k, v in rule.items() if k != "id"})


def _seed(
    admin: MockAdmin, key: str, tenant: Tenant, recorded: _Recorded, max_advance_s: float
) -> SeedResult:
    from ..synth import synth_media

    store = admin.state.store
    result = SeedResult()
    admin.state.data_dir.mkdir(parents=True, exist_ok=True)  # files move in from beside it
    with tempfile.TemporaryDirectory(prefix="seed-", dir=admin.state.data_dir) as tmp:
        for old_id, asset in recorded.assets.items():
            fmt = str(asset.get("format", "wav")).lower()
            path = Path(tmp) / f"{old_id}.{fmt}"
            if old_id in recorded.media and recorded.media[old_id].is_file():
                path.write_bytes(recorded.media[old_id].read_bytes())
            elif fmt in _AUDIO:
                synth_media(path, _duration(old_id, recorded.tasks), fmt, seed=len(result.assets))
            elif fmt in ("txt", "json"):
                path.write_text("[recorded transcript]" if fmt == "txt" else '{"text": "recorded"}')
            else:
                raise ValueError(f"asset {old_id}: cannot rebuild format {fmt!r}")
            new = store.add_asset(
                tenant, str(asset.get("name", path.name)), path, path.stat().st_size
            )
            result.assets[old_id] = new.id

        def create(task: Mapping[str, Any]) -> str:
            body: dict[str, Any] = {
                "targets": [_target_request(t, result.assets) for t in task["targets"]]
            }
            if task.get("assetId") in result.assets:
                body["assetId"] = result.assets[task["assetId"]]
            else:
                seconds = max((float(t.get("duration") or 0) for t in task["targets"]), default=0)
                admin.register_media(task["url"], duration_seconds=seconds or DEFAULT_SECONDS)
                body["url"] = task["url"]
            if task.get("metadata") is not None:
                body["metadata"] = task["metadata"]
            failing = [t for t in task["targets"] if t["status"] == "error"]
            for t in failing:
                error = t.get("error") or {}
                admin.add_fault(
                    model=t["model"],
                    code=int(error.get("code", 5001)),
                    message=str(error.get("message", "processing failed")),
                    key=key,
                )
            try:
                return store.create_task(tenant, body).id
            except MockError as exc:
                raise ValueError(f"task {task['id']}: the mock refused it: {exc.message}") from None
            finally:
                if failing:
                    admin.clear_faults()

        ordered = sorted(recorded.tasks.values(), key=lambda t: (t["createdAt"], t["id"]))
        running = [t for t in ordered if any(x["status"] == "processing" for x in t["targets"])]
        for task in ordered:
            if task not in running:
                result.tasks[task["id"]] = create(task)
        _finish(admin, tenant, set(result.tasks.values()), max_advance_s)
        for task in running:  # created last: nothing moves the clock after them
            result.tasks[task["id"]] = create(task)
    for old, task_id in result.tasks.items():
        result.statuses[old] = _statuses(admin, tenant, task_id)
    return result


def _statuses(admin: MockAdmin, tenant: Tenant, task_id: str) -> list[str]:
    return admin.state.store.get_task(tenant, task_id, lambda t: [x.status for x in t.targets])


def _finish(admin: MockAdmin, tenant: Tenant, ids: set[str], max_advance_s: float) -> None:
    """Move the clock until no task in ``ids`` has a processing target."""
    moved = 0.0
    while True:
        pending = [i for i in ids if "processing" in _statuses(admin, tenant, i)]
        if not pending:
            return
        if moved >= max_advance_s:
            raise ValueError(f"{len(pending)} seeded task(s) still processing after {moved:.0f} s")
        admin.advance(60)
        moved += 60
