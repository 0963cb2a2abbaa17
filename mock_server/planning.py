"""Planning a task: a ``POST /tasks`` body becomes a ``Task`` whose every target already
knows how it will end (completed, or failed with a code), when, what it will cost and
which outputs it will have. The catalog decides; nothing here knows a model by its id.

No lock and no clock: the store calls ``plan`` under its lock with the time.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audioshake_kit.domain.billing import (
    BillingTarget,
    billable_minutes,
    price_targets,
    round_credits,
)
from audioshake_kit.domain.catalog import Catalog, ModelSpec
from audioshake_kit.domain.codes import (
    NOT_DECODABLE,
    TOO_LONG,
    TOO_MANY_CHANNELS,
    TRANSCRIPT_UNREADABLE,
)
from audioshake_kit.domain.errors import ValidationError
from audioshake_kit.domain.rules import check_task_request, effective_variant, gated_models

from .errors import MockError
from .faults import FaultBook
from .ids import IdFactory
from .records import Asset, MediaSource, Output, Target, Task, Tenant
from .sources import MediaRegistry
from .synth import synth_transcript

__all__ = ["Planner", "find_asset"]


def find_asset(tenant: Tenant, asset_id: str, field: str = "assetId") -> Asset:
    """The tenant's asset, or 404 naming ``field`` (another tenant's asset is unknown)."""
    asset = tenant.assets.get(asset_id)
    if asset is None:
        raise MockError(404, f"{field}: asset {asset_id!r} not found (assets expire after 72 h)")
    return asset


class Planner:
    def __init__(
        self,
        *,
        catalog: Catalog,
        rng: random.Random,
        ids: IdFactory,
        faults: FaultBook,
        registry: MediaRegistry,
        outputs_dir: Path,
    ) -> None:
        self.catalog = catalog
        self.rng = rng
        self.ids = ids
        self.faults = faults
        self.registry = registry
        self.outputs_dir = outputs_dir

    def plan(self, tenant: Tenant, body: Mapping[str, Any], now: float) -> Task:
        """Check the body against the catalog (400), access (403), ids (404) and credits
        (402), in that order; the task it describes, not yet stored."""
        try:
            check_task_request(body, self.catalog)
        except ValidationError as exc:
            raise MockError(400, str(exc)) from None
        gated = gated_models(body, tenant.enabled_models, self.catalog)
        if gated is not None:
            raise MockError(403, f"{gated}: model requires access")
        if body.get("assetId") is not None:
            asset = find_asset(tenant, body["assetId"])
            media, asset_id, url = asset.media, asset.id, None
        else:
            media, asset_id, url = self.registry.resolve(body["url"]), None, body["url"]
        transcripts = [self._transcript(tenant, t, i) for i, t in enumerate(body["targets"])]

        task_id = self.ids.new(now)
        targets = [
            self._target(tenant, task_id, t, media, transcript, now)
            for t, transcript in zip(body["targets"], transcripts, strict=True)
        ]
        self._price(targets, media)
        need = round_credits(sum(t.estimate for t in targets))
        available = tenant.available
        if available is not None and available < need:
            raise MockError(402, f"insufficient credits: task needs {need}, {available} available")

        output_dir = self.outputs_dir / tenant.client_id / task_id
        if asset_id is not None:
            media = _keep_input(media, output_dir)
        return Task(
            id=task_id,
            client_id=tenant.client_id,
            key=tenant.key,
            created_at=now,
            asset_id=asset_id,
            url=url,
            metadata=body.get("metadata"),
            callback_url=body.get("callbackUrl"),
            write_destination=body.get("writeDestination"),
            media=media,
            targets=targets,
            output_dir=output_dir,
        )

    def _transcript(self, tenant: Tenant, target: Mapping[str, Any], i: int) -> str | None:
        """Text of an alignment transcript, or '' when it is unreadable (→ 4005)."""
        if target.get("transcriptAssetId") is not None:
            asset = find_asset(
                tenant, target["transcriptAssetId"], f"targets[{i}].transcriptAssetId"
            )
            if asset.media.kind != "text" or asset.media.error:
                return ""
            return _read_text(asset.path)
        if target.get("transcriptUrl") is not None:
            source = self.registry.resolve(target["transcriptUrl"])
            if source.path is None:
                return synth_transcript(source.synth_seed or 0)
            if source.kind != "text" or source.error:
                return ""
            return _read_text(source.path)
        return None

    def _target(
        self,
        tenant: Tenant,
        task_id: str,
        req: Mapping[str, Any],
        media: MediaSource,
        transcript: str | None,
        now: float,
    ) -> Target:
        model = self.catalog[req["model"]]
        variant = req.get("variant")
        error = _natural_failure(model, media, transcript)
        if error is None:
            error = self.faults.target_failure(model.id, tenant.key)
        duration = media.duration or 0.0
        if error is None:
            work = 1.0 + self.rng.uniform(0.5, 4.0) + duration * self.rng.uniform(0.01, 0.05)
            work *= model.processing_factor(variant)
        else:
            work = self.rng.uniform(0.5, 3.0)
        return Target(
            id=self.ids.new(now),
            task_id=task_id,
            model=model.id,
            formats=list(req["formats"]),
            variant=variant,
            residual=req.get("residual"),
            language=req.get("language"),
            transcript_url=req.get("transcriptUrl"),
            transcript_asset_id=req.get("transcriptAssetId"),
            created_at=now,
            ends_at=now + round(work, 3),
            planned_error=error,
            planned_cost=0.0,
            estimate=0.0,
            minutes=billable_minutes(duration),
            outputs=self._outputs(model, effective_variant(self.catalog, model.id, variant), req),
            updated_at=now,
            transcript_text=transcript or None,
        )

    def _outputs(
        self, model: ModelSpec, variant: str | None, req: Mapping[str, Any]
    ) -> list[Output]:
        mime = self.catalog.mime_types
        formats = list(req["formats"])
        if model.text_output:
            return [Output(model.id, f, mime[f], "text") for f in formats]
        if model.mock_outputs == "speakers":
            spec = model.variant(variant)
            lo, hi = (spec.min_speakers or 2, spec.max_speakers or 2) if spec else (2, 2)
            n = self.rng.randint(lo, hi)
            return [
                Output(f"{model.id}_speaker_{i + 1}", f, mime[f], "speaker", i, n)
                for i in range(n)
                for f in formats
            ]
        name = model.id if not req.get("variant") else f"{model.id}_{req['variant']}"
        outputs = [Output(name, f, mime[f], "target") for f in formats]
        if req.get("residual") and model.residual:
            outputs += [Output(f"{name}_residual", f, mime[f], "residual") for f in formats]
        return outputs

    def _price(self, targets: list[Target], media: MediaSource) -> None:
        """Each target's planned cost (given every sibling's planned outcome) and its
        estimate (as if every target completed: what create reserves)."""
        duration = media.duration or 0.0
        planned = price_targets(
            [
                BillingTarget(
                    t.model,
                    t.variant,
                    "error" if t.planned_error else "completed",
                    t.planned_error[0] if t.planned_error else None,
                )
                for t in targets
            ],
            duration,
            self.catalog,
        )
        estimate = price_targets(
            [BillingTarget(t.model, t.variant) for t in targets], duration, self.catalog
        )
        for t, p, e in zip(targets, planned, estimate, strict=True):
            t.planned_cost, t.estimate = p.credits, e.credits


def _natural_failure(
    model: ModelSpec, media: MediaSource, transcript: str | None
) -> tuple[int, str] | None:
    """How the input itself makes a target fail before processing, if it does."""
    if media.error is not None:
        return media.error
    if media.kind == "text":
        return NOT_DECODABLE, "media could not be decoded: the input is a text file"
    if (media.channels or 0) > 2:
        return TOO_MANY_CHANNELS, f"unsupported channel layout: {media.channels} channels"
    limit = model.max_input_duration_seconds
    if limit is not None and (media.duration or 0.0) > limit:
        return TOO_LONG, f"input is {media.duration:.1f} s; {model.id} accepts at most {limit} s"
    if transcript == "":
        return TRANSCRIPT_UNREADABLE, "transcript unreadable"
    return None


def _keep_input(media: MediaSource, folder: Path) -> MediaSource:
    """The task's own hard link to an uploaded input: outputs are rendered on first
    download, which may come after the asset (72 h after upload) is deleted."""
    if media.path is None:
        return media
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"input{media.path.suffix}"
    try:
        os.link(media.path, kept)
    except OSError:
        shutil.copyfile(media.path, kept)
    return dataclasses.replace(media, path=kept)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
