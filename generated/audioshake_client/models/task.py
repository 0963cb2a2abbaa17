from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.target import Target


T = TypeVar("T", bound="Task")


@_attrs_define
class Task:
    """
    Attributes:
        id (str):
        created_at (datetime.datetime):
        client_id (str):
        targets (list[Target]):
        updated_at (datetime.datetime | Unset):
        completed_at (datetime.datetime | None | Unset): Null or absent while any target is processing.
        cost (float | Unset): Sum of the target costs; present once every target has ended.
        asset_id (str | Unset):
        url (None | str | Unset):
        metadata (None | str | Unset):
        write_destination (None | str | Unset):
    """

    id: str
    created_at: datetime.datetime
    client_id: str
    targets: list[Target]
    updated_at: datetime.datetime | Unset = UNSET
    completed_at: datetime.datetime | None | Unset = UNSET
    cost: float | Unset = UNSET
    asset_id: str | Unset = UNSET
    url: None | str | Unset = UNSET
    metadata: None | str | Unset = UNSET
    write_destination: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        created_at = self.created_at.isoformat()

        client_id = self.client_id

        targets = []
        for targets_item_data in self.targets:
            targets_item = targets_item_data.to_dict()
            targets.append(targets_item)

        updated_at: str | Unset = UNSET
        if not isinstance(self.updated_at, Unset):
            updated_at = self.updated_at.isoformat()

        completed_at: None | str | Unset
        if isinstance(self.completed_at, Unset):
            completed_at = UNSET
        elif isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        cost = self.cost

        asset_id = self.asset_id

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        metadata: None | str | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        else:
            metadata = self.metadata

        write_destination: None | str | Unset
        if isinstance(self.write_destination, Unset):
            write_destination = UNSET
        else:
            write_destination = self.write_destination

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "createdAt": created_at,
                "clientId": client_id,
                "targets": targets,
            }
        )
        if updated_at is not UNSET:
            field_dict["updatedAt"] = updated_at
        if completed_at is not UNSET:
            field_dict["completedAt"] = completed_at
        if cost is not UNSET:
            field_dict["cost"] = cost
        if asset_id is not UNSET:
            field_dict["assetId"] = asset_id
        if url is not UNSET:
            field_dict["url"] = url
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if write_destination is not UNSET:
            field_dict["writeDestination"] = write_destination

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.target import Target

        d = dict(src_dict)
        id = d.pop("id")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        client_id = d.pop("clientId")

        targets = []
        _targets = d.pop("targets")
        for targets_item_data in _targets:
            targets_item = Target.from_dict(targets_item_data)

            targets.append(targets_item)

        _updated_at = d.pop("updatedAt", UNSET)
        updated_at: datetime.datetime | Unset
        if isinstance(_updated_at, Unset):
            updated_at = UNSET
        else:
            updated_at = datetime.datetime.fromisoformat(_updated_at)

        def _parse_completed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        completed_at = _parse_completed_at(d.pop("completedAt", UNSET))

        cost = d.pop("cost", UNSET)

        asset_id = d.pop("assetId", UNSET)

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_metadata(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_write_destination(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        write_destination = _parse_write_destination(d.pop("writeDestination", UNSET))

        task = cls(
            id=id,
            created_at=created_at,
            client_id=client_id,
            targets=targets,
            updated_at=updated_at,
            completed_at=completed_at,
            cost=cost,
            asset_id=asset_id,
            url=url,
            metadata=metadata,
            write_destination=write_destination,
        )

        task.additional_properties = d
        return task

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
