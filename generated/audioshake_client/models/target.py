from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.target_status import TargetStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.output_item import OutputItem
    from ..models.target_error import TargetError


T = TypeVar("T", bound="Target")


@_attrs_define
class Target:
    """
    Attributes:
        id (str):
        model (str):
        status (TargetStatus):
        formats (list[str]):
        output (list[OutputItem] | Unset):
        cost (float | Unset): Credits for this target; absent while processing.
        error (None | TargetError | Unset):
        duration (float | Unset): Seconds of input media.
        residual (bool | None | Unset):
        variant (None | str | Unset):
        language (None | str | Unset):
        transcript_url (None | str | Unset):
        transcript_asset_id (None | str | Unset):
        url (None | str | Unset):
        task_id (str | Unset):
        created_at (datetime.datetime | Unset):
        updated_at (datetime.datetime | Unset):
    """

    id: str
    model: str
    status: TargetStatus
    formats: list[str]
    output: list[OutputItem] | Unset = UNSET
    cost: float | Unset = UNSET
    error: None | TargetError | Unset = UNSET
    duration: float | Unset = UNSET
    residual: bool | None | Unset = UNSET
    variant: None | str | Unset = UNSET
    language: None | str | Unset = UNSET
    transcript_url: None | str | Unset = UNSET
    transcript_asset_id: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    task_id: str | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    updated_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.target_error import TargetError

        id = self.id

        model = self.model

        status = str(self.status)

        formats = self.formats

        output: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.output, Unset):
            output = []
            for output_item_data in self.output:
                output_item = output_item_data.to_dict()
                output.append(output_item)

        cost = self.cost

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, TargetError):
            error = self.error.to_dict()
        else:
            error = self.error

        duration = self.duration

        residual: bool | None | Unset
        if isinstance(self.residual, Unset):
            residual = UNSET
        else:
            residual = self.residual

        variant: None | str | Unset
        if isinstance(self.variant, Unset):
            variant = UNSET
        else:
            variant = self.variant

        language: None | str | Unset
        if isinstance(self.language, Unset):
            language = UNSET
        else:
            language = self.language

        transcript_url: None | str | Unset
        if isinstance(self.transcript_url, Unset):
            transcript_url = UNSET
        else:
            transcript_url = self.transcript_url

        transcript_asset_id: None | str | Unset
        if isinstance(self.transcript_asset_id, Unset):
            transcript_asset_id = UNSET
        else:
            transcript_asset_id = self.transcript_asset_id

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        task_id = self.task_id

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        updated_at: str | Unset = UNSET
        if not isinstance(self.updated_at, Unset):
            updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "model": model,
                "status": status,
                "formats": formats,
            }
        )
        if output is not UNSET:
            field_dict["output"] = output
        if cost is not UNSET:
            field_dict["cost"] = cost
        if error is not UNSET:
            field_dict["error"] = error
        if duration is not UNSET:
            field_dict["duration"] = duration
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
        if url is not UNSET:
            field_dict["url"] = url
        if task_id is not UNSET:
            field_dict["taskId"] = task_id
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.output_item import OutputItem
        from ..models.target_error import TargetError

        d = dict(src_dict)
        id = d.pop("id")

        model = d.pop("model")

        status = TargetStatus(d.pop("status"))

        formats = cast(list[str], d.pop("formats"))

        _output = d.pop("output", UNSET)
        output: list[OutputItem] | Unset = UNSET
        if _output is not UNSET:
            output = []
            for output_item_data in _output:
                output_item = OutputItem.from_dict(output_item_data)

                output.append(output_item)

        cost = d.pop("cost", UNSET)

        def _parse_error(data: object) -> None | TargetError | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = TargetError.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TargetError | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        duration = d.pop("duration", UNSET)

        def _parse_residual(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        residual = _parse_residual(d.pop("residual", UNSET))

        def _parse_variant(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        variant = _parse_variant(d.pop("variant", UNSET))

        def _parse_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        language = _parse_language(d.pop("language", UNSET))

        def _parse_transcript_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transcript_url = _parse_transcript_url(d.pop("transcriptUrl", UNSET))

        def _parse_transcript_asset_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transcript_asset_id = _parse_transcript_asset_id(
            d.pop("transcriptAssetId", UNSET)
        )

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        task_id = d.pop("taskId", UNSET)

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

        _updated_at = d.pop("updatedAt", UNSET)
        updated_at: datetime.datetime | Unset
        if isinstance(_updated_at, Unset):
            updated_at = UNSET
        else:
            updated_at = datetime.datetime.fromisoformat(_updated_at)

        target = cls(
            id=id,
            model=model,
            status=status,
            formats=formats,
            output=output,
            cost=cost,
            error=error,
            duration=duration,
            residual=residual,
            variant=variant,
            language=language,
            transcript_url=transcript_url,
            transcript_asset_id=transcript_asset_id,
            url=url,
            task_id=task_id,
            created_at=created_at,
            updated_at=updated_at,
        )

        target.additional_properties = d
        return target

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
