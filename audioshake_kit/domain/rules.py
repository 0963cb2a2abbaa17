"""The request rules of ``POST /tasks`` that the catalog decides, in one place.

Both sides call ``check_task_request`` on the wire-shaped body (camelCase dict): the
facade before anything is sent, the mock after JSON-schema validation (turning the
``ValidationError`` into a 400 whose message names the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .catalog import Catalog, get_catalog
from .errors import ValidationError

__all__ = ["check_task_request", "effective_variant", "gated_models", "is_https_url"]


def is_https_url(value: object) -> bool:
    """The service fetches sources over HTTPS only: ``https://`` with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def effective_variant(catalog: Catalog, model: str, variant: str | None) -> str | None:
    """The variant a target runs with: the one asked for, else the model's default."""
    if variant is not None:
        return variant
    default = catalog[model].variant(None)
    return default.id if default else None


def check_task_request(body: Mapping[str, Any], catalog: Catalog | None = None) -> None:
    """Raise ``ValidationError(field=...)`` for the first rule ``body`` breaks."""
    cat = catalog or get_catalog()
    url, asset_id = body.get("url"), body.get("assetId")
    if (url is None) == (asset_id is None):
        raise ValidationError("provide exactly one source, url or assetId", field="url/assetId")
    if url is not None and not is_https_url(url):
        raise ValidationError(f"must be an https:// URL, got {url!r}", field="url")
    targets = body.get("targets")
    limit = cat.limits.max_targets_per_task
    if not isinstance(targets, list) or not 1 <= len(targets) <= limit:
        n = len(targets) if isinstance(targets, list) else 0
        raise ValidationError(f"between 1 and {limit} targets required, got {n}", field="targets")
    metadata = body.get("metadata")
    if metadata is not None and len(str(metadata)) > cat.limits.max_metadata_length:
        raise ValidationError(
            f"at most {cat.limits.max_metadata_length} characters", field="metadata"
        )
    seen: dict[tuple[str, str | None], int] = {}
    for i, target in enumerate(targets):
        key = _check_target(cat, target, f"targets[{i}]")
        if key in seen:
            what = key[0] + (f"@{key[1]}" if key[1] else "")
            raise ValidationError(
                f"duplicate target {what} (same as targets[{seen[key]}])", field=f"targets[{i}]"
            )
        seen[key] = i


def _check_target(cat: Catalog, target: Mapping[str, Any], where: str) -> tuple[str, str | None]:
    model_id = target.get("model")
    model = cat.get(model_id) if isinstance(model_id, str) else None
    if model is None:
        raise ValidationError(f"unknown model {model_id!r}", field=f"{where}.model")
    formats = target.get("formats")
    if not isinstance(formats, list) or not formats:
        raise ValidationError("at least one output format required", field=f"{where}.formats")
    for j, fmt in enumerate(formats):
        if fmt not in model.output_formats:
            offered = ", ".join(model.output_formats)
            raise ValidationError(
                f"{fmt!r} is not offered by model {model.id!r} (offers {offered})",
                field=f"{where}.formats[{j}]",
            )
    if len(set(formats)) != len(formats):
        raise ValidationError("formats must not repeat", field=f"{where}.formats")
    variant = target.get("variant")
    if variant is not None and model.variant(variant) is None:
        offered = ", ".join(v.id for v in model.variants) or "none"
        raise ValidationError(
            f"{variant!r} is not a variant of {model.id!r} (variants: {offered})",
            field=f"{where}.variant",
        )
    language = target.get("language")
    if language is not None and language not in model.supported_languages:
        offered = ", ".join(model.supported_languages) or "none: the model takes no language"
        raise ValidationError(
            f"{language!r} is not supported by {model.id!r} (supported: {offered})",
            field=f"{where}.language",
        )
    t_url, t_asset = target.get("transcriptUrl"), target.get("transcriptAssetId")
    if (t_url is not None or t_asset is not None) and not model.accepts_transcript:
        field = "transcriptUrl" if t_url is not None else "transcriptAssetId"
        raise ValidationError(f"model {model.id!r} takes no transcript", field=f"{where}.{field}")
    if t_url is not None and t_asset is not None:
        raise ValidationError(
            "give transcriptUrl or transcriptAssetId, not both", field=f"{where}.transcriptUrl"
        )
    if t_url is not None and not is_https_url(t_url):
        raise ValidationError("must be an https:// URL", field=f"{where}.transcriptUrl")
    return model.id, effective_variant(cat, model.id, variant)


def gated_models(
    body: Mapping[str, Any], enabled: set[str], catalog: Catalog | None = None
) -> str | None:
    """The field of the first target whose model is gated and not enabled, else None."""
    cat = catalog or get_catalog()
    for i, target in enumerate(body.get("targets", [])):
        model = cat.get(target.get("model", ""))
        if model is not None and model.gated and model.id not in enabled:
            return f"targets[{i}].model"
    return None
