from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_input_formats import ModelInputFormats


T = TypeVar("T", bound="ModelInput")


@_attrs_define
class ModelInput:
    """
    Attributes:
        id (str):
        required (bool):
        task_fields (list[str]):
        description (str | Unset):
        formats (ModelInputFormats | Unset):
    """

    id: str
    required: bool
    task_fields: list[str]
    description: str | Unset = UNSET
    formats: ModelInputFormats | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        required = self.required

        task_fields = self.task_fields

        description = self.description

        formats: dict[str, Any] | Unset = UNSET
        if not isinstance(self.formats, Unset):
            formats = self.formats.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "required": required,
                "taskFields": task_fields,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if formats is not UNSET:
            field_dict["formats"] = formats

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_input_formats import ModelInputFormats

        d = dict(src_dict)
        id = d.pop("id")

        required = d.pop("required")

        task_fields = cast(list[str], d.pop("taskFields"))

        description = d.pop("description", UNSET)

        _formats = d.pop("formats", UNSET)
        formats: ModelInputFormats | Unset
        if isinstance(_formats, Unset):
            formats = UNSET
        else:
            formats = ModelInputFormats.from_dict(_formats)

        model_input = cls(
            id=id,
            required=required,
            task_fields=task_fields,
            description=description,
            formats=formats,
        )

        model_input.additional_properties = d
        return model_input

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
