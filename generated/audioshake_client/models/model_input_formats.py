from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelInputFormats")


@_attrs_define
class ModelInputFormats:
    """
    Attributes:
        audio (list[str] | Unset):
        video (list[str] | Unset):
        text (list[str] | Unset):
    """

    audio: list[str] | Unset = UNSET
    video: list[str] | Unset = UNSET
    text: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audio: list[str] | Unset = UNSET
        if not isinstance(self.audio, Unset):
            audio = self.audio

        video: list[str] | Unset = UNSET
        if not isinstance(self.video, Unset):
            video = self.video

        text: list[str] | Unset = UNSET
        if not isinstance(self.text, Unset):
            text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if audio is not UNSET:
            field_dict["audio"] = audio
        if video is not UNSET:
            field_dict["video"] = video
        if text is not UNSET:
            field_dict["text"] = text

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        audio = cast(list[str], d.pop("audio", UNSET))

        video = cast(list[str], d.pop("video", UNSET))

        text = cast(list[str], d.pop("text", UNSET))

        model_input_formats = cls(
            audio=audio,
            video=video,
            text=text,
        )

        model_input_formats.additional_properties = d
        return model_input_formats

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
