"""Targets in every form a user writes them, turned into the wire shape. Pure.

The one-line syntax (CLI ``-t`` and plain strings given to ``create_task``)::

    MODEL[@VARIANT][:FMT,FMT][+residual]      e.g. vocals@high_quality:wav,mp3+residual

Formats left out mean the model's default: ``wav`` for audio models, ``json`` for text
models (from the catalog).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .domain.catalog import Catalog, ModelSpec
from .domain.rules import check_task_request
from .errors import ValidationError
from .types import TargetLike, TargetSpec

__all__ = [
    "PENDING_ASSET",
    "apply_options",
    "check_targets",
    "default_formats",
    "format_target",
    "is_url",
    "parse_target",
    "target_to_wire",
    "targets_to_wire",
]

PENDING_ASSET = "-"
"""``transcript_asset_id`` of a transcript file not uploaded yet (``apply_options``)."""

_SYNTAX = re.compile(
    r"""^(?P<model>[A-Za-z0-9][A-Za-z0-9_.-]*)
        (?:@(?P<variant>[A-Za-z0-9_.-]+))?
        (?::(?P<formats>[A-Za-z0-9]+(?:,[A-Za-z0-9]+)*))?
        (?P<residual>\+residual)?$""",
    re.VERBOSE,
)

# Mapping keys accepted for a target, snake_case → wire (camelCase) name.
_KEYS = {
    "model": "model",
    "formats": "formats",
    "variant": "variant",
    "residual": "residual",
    "language": "language",
    "transcript_url": "transcriptUrl",
    "transcriptUrl": "transcriptUrl",
    "transcript_asset_id": "transcriptAssetId",
    "transcriptAssetId": "transcriptAssetId",
}


def parse_target(text: str, *, field: str = "target") -> TargetSpec:
    """``"vocals@high_quality:wav,mp3+residual"`` → ``TargetSpec``. Checks syntax only."""
    m = _SYNTAX.match(text.strip())
    if m is None:
        raise ValidationError(f"{text!r} is not MODEL[@VARIANT][:FMT,FMT][+residual]", field=field)
    formats = tuple(f.lower() for f in m["formats"].split(",")) if m["formats"] else ()
    return TargetSpec(
        model=m["model"], formats=formats, variant=m["variant"], residual=bool(m["residual"])
    )


def format_target(spec: TargetSpec) -> str:
    """The one-line syntax for ``spec`` (language and transcript are not part of it)."""
    out = spec.model
    if spec.variant:
        out += f"@{spec.variant}"
    if spec.formats:
        out += ":" + ",".join(spec.formats)
    return out + ("+residual" if spec.residual else "")


def default_formats(model: ModelSpec) -> tuple[str, ...]:
    """wav for audio models, json for text models, else the first format offered."""
    for fmt in ("wav", "json"):
        if fmt in model.output_formats:
            return (fmt,)
    return model.output_formats[:1]


def is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def apply_options(
    specs: Sequence[TargetSpec],
    catalog: Catalog,
    *,
    language: str | None = None,
    transcript: str | None = None,
) -> list[TargetSpec]:
    """Give ``language`` and ``transcript`` (a URL, or a file to upload, marked
    ``PENDING_ASSET``) to the targets whose model takes them (CLI ``--language`` and
    ``--transcript``); a ``ValidationError`` when no target does."""
    out = list(specs)
    options = (
        ("--language", language, "supported_languages"),
        ("--transcript", transcript, "accepts_transcript"),
    )
    for option, value, attr in options:
        if value is None:
            continue
        takes = [bool(getattr(catalog.get(s.model), attr, None)) for s in out]
        if not any(takes):
            what = option.removeprefix("--")
            raise ValidationError(f"no target takes a {what}", field=option)
        if option == "--language":
            change: dict[str, Any] = {"language": value}
        elif is_url(value):
            change = {"transcript_url": value, "transcript_asset_id": None}
        else:
            change = {"transcript_url": None, "transcript_asset_id": PENDING_ASSET}
        out = [replace(s, **change) if ok else s for s, ok in zip(out, takes, strict=True)]
    return out


def target_to_wire(target: TargetLike, where: str, catalog: Catalog) -> dict[str, Any]:
    """One target as the camelCase dict ``POST /tasks`` takes, default formats filled in.

    Only the shape is checked here; the catalog rules are ``rules.check_task_request``."""
    from audioshake_client.models import TargetRequest

    if isinstance(target, str):
        wire = _spec_to_wire(parse_target(target, field=where))
    elif isinstance(target, TargetSpec):
        wire = _spec_to_wire(target)
    elif isinstance(target, TargetRequest):
        wire = {k: v for k, v in target.to_dict().items() if v is not None}
    elif isinstance(target, tuple):
        wire = _tuple_to_wire(target, where)
    elif isinstance(target, Mapping):
        wire = _mapping_to_wire(target, where)
    else:
        raise ValidationError(
            f"expected a model name, (model, formats), TargetSpec or dict, got "
            f"{type(target).__name__}",
            field=where,
        )
    if not wire.get("formats"):
        model = catalog.get(wire.get("model", ""))
        if model is not None:
            wire["formats"] = list(default_formats(model))
    return wire


def targets_to_wire(
    targets: Sequence[TargetLike] | TargetLike, catalog: Catalog
) -> list[dict[str, Any]]:
    """A list of targets, or one target on its own, as ``target_to_wire`` gives each."""
    from audioshake_client.models import TargetRequest

    items: Sequence[Any]
    if isinstance(targets, str | TargetSpec | TargetRequest | Mapping) or (
        isinstance(targets, tuple) and _is_pair(targets)
    ):
        items = [targets]  # one target given on its own
    elif isinstance(targets, Sequence):
        items = targets
    else:
        raise ValidationError("expected a list of targets", field="targets")
    return [target_to_wire(t, f"targets[{i}]", catalog) for i, t in enumerate(items)]


def check_targets(
    targets: Sequence[TargetLike] | TargetLike, catalog: Catalog
) -> list[dict[str, Any]]:
    """The targets in wire form, checked against ``catalog`` as ``POST /tasks`` checks
    them (``ValidationError`` naming the field). Sends nothing; for checks before an
    upload."""
    wires = targets_to_wire(targets, catalog)
    check_task_request({"targets": wires, "assetId": PENDING_ASSET}, catalog)
    return wires


def _is_pair(value: tuple[Any, ...]) -> bool:
    """``("vocals", ["wav", "mp3"])`` is one target, not two."""
    second = value[1] if len(value) == 2 else None
    return (
        isinstance(value[0], str)
        and isinstance(second, list | tuple)
        and all(isinstance(f, str) for f in second)
    )


def _spec_to_wire(spec: TargetSpec) -> dict[str, Any]:
    wire: dict[str, Any] = {"model": spec.model, "formats": list(spec.formats)}
    if spec.variant is not None:
        wire["variant"] = spec.variant
    if spec.residual:
        wire["residual"] = True
    if spec.language is not None:
        wire["language"] = spec.language
    if spec.transcript_url is not None:
        wire["transcriptUrl"] = spec.transcript_url
    if spec.transcript_asset_id is not None:
        wire["transcriptAssetId"] = spec.transcript_asset_id
    return wire


def _tuple_to_wire(target: tuple[Any, ...], where: str) -> dict[str, Any]:
    if len(target) != 2 or not isinstance(target[0], str):
        raise ValidationError("a tuple target is (model, formats)", field=where)
    return {"model": target[0], "formats": _formats(target[1], f"{where}.formats")}


def _mapping_to_wire(target: Mapping[str, Any], where: str) -> dict[str, Any]:
    from audioshake_client.types import Unset

    wire: dict[str, Any] = {}
    for key, value in target.items():
        name = _KEYS.get(key)
        if name is None:
            raise ValidationError(f"unknown target field {key!r}", field=f"{where}.{key}")
        if value is None or isinstance(value, Unset):
            continue
        if name == "formats":
            value = _formats(value, f"{where}.formats")
        elif name == "residual":
            if not isinstance(value, bool):
                raise ValidationError("must be true or false", field=f"{where}.residual")
        elif not isinstance(value, str):
            raise ValidationError("must be a string", field=f"{where}.{name}")
        wire[name] = value
    if "model" not in wire:
        raise ValidationError("required", field=f"{where}.model")
    return wire


def _formats(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(f, str) for f in value):
        raise ValidationError("formats must be a list of strings", field=where)
    return [str(f) for f in value]
