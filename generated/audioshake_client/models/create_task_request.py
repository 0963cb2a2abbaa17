from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.target_request import TargetRequest


T = TypeVar("T", bound="CreateTaskRequest")


@_attrs_define
class CreateTaskRequest:
    """Exactly one source, `url` or `assetId`. Unknown fields are ignored.

    Attributes:
        targets (list[TargetRequest]):
        url (str | Unset): Publicly reachable HTTPS URL of audio or video.
        asset_id (str | Unset): Id returned by `POST /assets`.
        metadata (str | Unset): Stored and returned as-is in responses and webhooks.
        callback_url (str | Unset): Per-task webhook URL. Sent by AudioShake's own demo; not documented for Tasks
            (unverified, mock contract).
        write_destination (str | Unset): S3 URI prefix for outputs (needs a storage integration). The mock records it
            and still serves outputs itself.
    """

    targets: list[TargetRequest]
    url: str | Unset = UNSET
    asset_id: str | Unset = UNSET
    metadata: str | Unset = UNSET
    callback_url: str | Unset = UNSET
    write_destination: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        targets = []
        for targets_item_data in self.targets:
            targets_item = targets_item_data.to_dict()
            targets.append(targets_item)

        url = self.url

        asset_id = self.asset_id

        metadata = self.metadata

        callback_url = self.callback_url

        write_destination = self.write_destination

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "targets": targets,
            }
        )
        if url is not UNSET:
            field_dict["url"] = url
        if asset_id is not UNSET:
            field_dict["assetId"] = asset_id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if callback_url is not UNSET:
            field_dict["callbackUrl"] = callback_url
        if write_destination is not UNSET:
            field_dict["writeDestination"] = write_destination

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.target_request import TargetRequest

        d = dict(src_dict)
        targets = []
        _targets = d.pop("targets")
        for targets_item_data in _targets:
            targets_item = TargetRequest.from_dict(targets_item_data)

            targets.append(targets_item)

        url = d.pop("url", UNSET)

        asset_id = d.pop("assetId", UNSET)

        metadata = d.pop("metadata", UNSET)

        callback_url = d.pop("callbackUrl", UNSET)

        write_destination = d.pop("writeDestination", UNSET)

        create_task_request = cls(
            targets=targets,
            url=url,
            asset_id=asset_id,
            metadata=metadata,
            callback_url=callback_url,
            write_destination=write_destination,
        )

        create_task_request.additional_properties = d
        return create_task_request

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
