from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OutputItem")


@_attrs_define
class OutputItem:
    """
    Attributes:
        name (str): `<model>` or `<model>_<variant>` (documented by example); the residual is
            `<model>[_<variant>]_residual` and multi_voice gives `multi_voice_speaker_1` … (mock contract).
        format_ (str):
        link (str): Signed download link, valid for one hour.
        type_ (str | Unset): MIME type, e.g. `audio/mpeg`.
    """

    name: str
    format_: str
    link: str
    type_: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        format_ = self.format_

        link = self.link

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "format": format_,
                "link": link,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        format_ = d.pop("format")

        link = d.pop("link")

        type_ = d.pop("type", UNSET)

        output_item = cls(
            name=name,
            format_=format_,
            link=link,
            type_=type_,
        )

        output_item.additional_properties = d
        return output_item

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
