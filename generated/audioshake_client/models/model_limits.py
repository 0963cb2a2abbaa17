from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelLimits")


@_attrs_define
class ModelLimits:
    """
    Attributes:
        max_input_duration_seconds (float | Unset):
    """

    max_input_duration_seconds: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_input_duration_seconds = self.max_input_duration_seconds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if max_input_duration_seconds is not UNSET:
            field_dict["maxInputDurationSeconds"] = max_input_duration_seconds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        max_input_duration_seconds = d.pop("maxInputDurationSeconds", UNSET)

        model_limits = cls(
            max_input_duration_seconds=max_input_duration_seconds,
        )

        model_limits.additional_properties = d
        return model_limits

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
