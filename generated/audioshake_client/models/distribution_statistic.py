from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DistributionStatistic")


@_attrs_define
class DistributionStatistic:
    """One model's usage (mock contract).

    Attributes:
        model (str):
        total_targets (int):
        total_minutes (str):
    """

    model: str
    total_targets: int
    total_minutes: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        total_targets = self.total_targets

        total_minutes = self.total_minutes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "totalTargets": total_targets,
                "totalMinutes": total_minutes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model = d.pop("model")

        total_targets = d.pop("totalTargets")

        total_minutes = d.pop("totalMinutes")

        distribution_statistic = cls(
            model=model,
            total_targets=total_targets,
            total_minutes=total_minutes,
        )

        distribution_statistic.additional_properties = d
        return distribution_statistic

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
