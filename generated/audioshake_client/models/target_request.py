from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.output_format import OutputFormat
from ..types import UNSET, Unset

T = TypeVar("T", bound="TargetRequest")


@_attrs_define
class TargetRequest:
    """One model to run on the task's input. Unknown fields are ignored.

    Attributes:
        model (str): A model id from `GET /models` (validated against the catalog, not by this schema).
        formats (list[OutputFormat]):
        residual (bool | Unset): Also return everything but the target, where the model supports it (false when absent).
        variant (str | Unset): `high_quality` for `vocals`/`instrumental`; `two_speaker` (default) or `n_speaker` for
            `multi_voice`.
        language (str | Unset): ISO code for transcription or alignment; auto-detected when absent.
        transcript_url (str | Unset): Alignment only. HTTPS URL of a `.txt` or `.json` transcript.
        transcript_asset_id (str | Unset): Alignment only. Asset id of an uploaded transcript.
    """

    model: str
    formats: list[OutputFormat]
    residual: bool | Unset = UNSET
    variant: str | Unset = UNSET
    language: str | Unset = UNSET
    transcript_url: str | Unset = UNSET
    transcript_asset_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        formats = []
        for formats_item_data in self.formats:
            formats_item = str(formats_item_data)
            formats.append(formats_item)

        residual = self.residual

        variant = self.variant

        language = self.language

        transcript_url = self.transcript_url

        transcript_asset_id = self.transcript_asset_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "formats": formats,
            }
        )
        if residual is not UNSET:
            field_dict["residual"] = residual
        if variant is not UNSET:
            field_dict["variant"] = variant
        if language is not UNSET:
            field_dict["language"] = language
        if transcript_url is not UNSET:
            field_dict["transcriptUrl"] = transcript_url
        if transcript_asset_id is not UNSET:
            field_dict["transcriptAssetId"] = transcript_asset_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model = d.pop("model")

        formats = []
        _formats = d.pop("formats")
        for formats_item_data in _formats:
            formats_item = OutputFormat(formats_item_data)

            formats.append(formats_item)

        residual = d.pop("residual", UNSET)

        variant = d.pop("variant", UNSET)

        language = d.pop("language", UNSET)

        transcript_url = d.pop("transcriptUrl", UNSET)

        transcript_asset_id = d.pop("transcriptAssetId", UNSET)

        target_request = cls(
            model=model,
            formats=formats,
            residual=residual,
            variant=variant,
            language=language,
            transcript_url=transcript_url,
            transcript_asset_id=transcript_asset_id,
        )

        target_request.additional_properties = d
        return target_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
