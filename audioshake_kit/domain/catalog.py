"""The model catalog as typed, read-only objects (data in ``openapi/models.yaml``).

Pure: no I/O beyond reading the packaged file. The mock server and the facade both use
this module, so a model, rate, format or limit is defined in exactly one place.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .spec import load_catalog_data

__all__ = ["Catalog", "CatalogLimits", "CombinedRate", "ModelSpec", "VariantSpec", "get_catalog"]


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One variant. ``mock_*`` fields are assumptions of the mock (the catalog's ``mock:``
    blocks), not facts about the service: the facade does not read them."""

    id: str
    description: str
    credits_per_minute: float | None = None
    default: bool = False
    min_speakers: int | None = None
    max_speakers: int | None = None
    mock_processing_factor: float = 1.0  # processing time as a multiple of the model's


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model: what it accepts, what it outputs and what it costs.

    ``mock_*`` fields are assumptions of the mock (the catalog's ``mock:`` blocks), not
    facts about the service: ``GET /models`` never serves them, the facade never reads them.
    """

    id: str
    name: str
    category: str
    description: str
    access: str
    credits_per_minute: float
    output_formats: tuple[str, ...]
    residual: bool
    max_input_duration_seconds: int | None
    inputs: tuple[Mapping[str, Any], ...]
    text_output: bool  # outputs are documents (json/srt/txt), not audio
    supported_languages: tuple[str, ...] = ()
    variants: tuple[VariantSpec, ...] = ()
    mock_outputs: Literal["stems", "speakers"] = "stems"  # speakers: one output each
    mock_document: Literal["lyrics", "intervals"] = "lyrics"  # text models' documents

    @property
    def gated(self) -> bool:
        return self.access == "request_access"

    @property
    def accepts_transcript(self) -> bool:
        return any("transcriptUrl" in i["taskFields"] for i in self.inputs)

    def variant(self, variant_id: str | None) -> VariantSpec | None:
        """The named variant, the default one when ``variant_id`` is None, else None."""
        for v in self.variants:
            if v.id == variant_id or (variant_id is None and v.default):
                return v
        return None

    def processing_factor(self, variant_id: str | None) -> float:
        """How much longer than the model's usual time a target takes (mock assumption)."""
        v = self.variant(variant_id)
        return v.mock_processing_factor if v is not None else 1.0

    def rate(self, variant_id: str | None = None) -> float:
        """Credits per started minute, the variant's own rate where it has one."""
        v = self.variant(variant_id)
        if v is not None and v.credits_per_minute is not None:
            return v.credits_per_minute
        return self.credits_per_minute


@dataclass(frozen=True, slots=True)
class CombinedRate:
    models: frozenset[str]
    credits_per_minute: float


@dataclass(frozen=True, slots=True)
class CatalogLimits:
    max_targets_per_task: int
    max_upload_bytes: int
    asset_ttl_seconds: int
    output_link_ttl_seconds: int
    output_retention_seconds: int
    rate_limit_per_second: int
    max_metadata_length: int


@dataclass(frozen=True)
class Catalog:
    models: Mapping[str, ModelSpec]
    limits: CatalogLimits
    combined_rates: tuple[CombinedRate, ...]
    mime_types: Mapping[str, str] = field(default_factory=dict)
    audio_formats: frozenset[str] = frozenset()  # output formats that hold audio

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.models.values())

    def __getitem__(self, model_id: str) -> ModelSpec:
        return self.models[model_id]

    def get(self, model_id: str) -> ModelSpec | None:
        return self.models.get(model_id)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Catalog:
        audio = frozenset(data["formats"]["audioOutputs"])
        models = {m["id"]: _model(m, audio) for m in data["models"]}
        lim = data["limits"]
        limits = CatalogLimits(
            max_targets_per_task=lim["maxTargetsPerTask"],
            max_upload_bytes=lim["maxUploadBytes"],
            asset_ttl_seconds=lim["assetTtlSeconds"],
            output_link_ttl_seconds=lim["outputLinkTtlSeconds"],
            output_retention_seconds=lim["outputRetentionSeconds"],
            rate_limit_per_second=lim["rateLimitPerSecond"],
            max_metadata_length=lim["maxMetadataLength"],
        )
        combined = tuple(
            CombinedRate(frozenset(c["models"]), float(c["creditsPerMinute"]))
            for c in data["combinedRates"]
        )
        return cls(models, limits, combined, dict(data["formats"]["mime"]), audio)


def _model(m: Mapping[str, Any], audio_formats: frozenset[str]) -> ModelSpec:
    variants = tuple(
        VariantSpec(
            id=v["id"],
            description=v["description"],
            credits_per_minute=v.get("creditsPerMinute"),
            default=v.get("default", False),
            min_speakers=v.get("speakers", {}).get("min"),
            max_speakers=v.get("speakers", {}).get("max"),
            mock_processing_factor=float(v.get("mock", {}).get("processingFactor", 1.0)),
        )
        for v in m.get("variants", ())
    )
    mock = m.get("mock", {})
    return ModelSpec(
        id=m["id"],
        name=m["name"],
        category=m["category"],
        description=m["description"],
        access=m["access"],
        credits_per_minute=float(m["creditsPerMinute"]),
        output_formats=tuple(m["outputFormats"]),
        residual=m["residual"],
        max_input_duration_seconds=m["maxInputDurationSeconds"],
        inputs=tuple(m["inputs"]),
        text_output=not audio_formats.intersection(m["outputFormats"]),
        supported_languages=tuple(m.get("supportedLanguages", ())),
        variants=variants,
        mock_outputs=mock.get("outputs", "stems"),
        mock_document=mock.get("document", "lyrics"),
    )


@functools.cache
def get_catalog() -> Catalog:
    """The packaged catalog, loaded and validated once per process."""
    return Catalog.from_data(load_catalog_data())
