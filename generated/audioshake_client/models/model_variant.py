from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelVariant")


@_attrs_define
class ModelVariant:
    """A selectable variant (whether the service lists variants here is not documented; mock contract).

    Attributes:
        id (str):
        description (str | Unset):
        credits_per_minute (float | Unset):
        default (bool | Unset):
    """

    id: str
    description: str | Unset = UNSET
    credits_per_minute: float | Unset = UNSET
    default: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        description = self.description

        credits_per_minute = self.credits_per_minute

        default = self.default

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if credits_per_minute is not UNSET:
            field_dict["creditsPerMinute"] = credits_per_minute
        if default is not UNSET:
            field_dict["default"] = default

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        description = d.pop("description", UNSET)

        credits_per_minute = d.pop("creditsPerMinute", UNSET)

        default = d.pop("default", UNSET)

        model_variant = cls(
            id=id,
            description=description,
            credits_per_minute=credits_per_minute,
            default=default,
        )

        model_variant.additional_properties = d
        return model_variant

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
