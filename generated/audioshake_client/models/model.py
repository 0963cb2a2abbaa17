from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_input import ModelInput
    from ..models.model_limits import ModelLimits
    from ..models.model_variant import ModelVariant


T = TypeVar("T", bound="Model")


@_attrs_define
class Model:
    """
    Attributes:
        id (str):
        name (str):
        access (str): `enabled`, or `request_access` for gated models (which omit pricing).
        output_formats (list[str]):
        category (str | Unset):
        description (str | Unset):
        credits_per_minute (float | Unset): The account's own rate.
        inputs (list[ModelInput] | Unset):
        limits (ModelLimits | Unset):
        supported_languages (list[str] | Unset):
        variants (list[ModelVariant] | Unset):
        supports_residual (bool | Unset):
    """

    id: str
    name: str
    access: str
    output_formats: list[str]
    category: str | Unset = UNSET
    description: str | Unset = UNSET
    credits_per_minute: float | Unset = UNSET
    inputs: list[ModelInput] | Unset = UNSET
    limits: ModelLimits | Unset = UNSET
    supported_languages: list[str] | Unset = UNSET
    variants: list[ModelVariant] | Unset = UNSET
    supports_residual: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        access = self.access

        output_formats = self.output_formats

        category = self.category

        description = self.description

        credits_per_minute = self.credits_per_minute

        inputs: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.inputs, Unset):
            inputs = []
            for inputs_item_data in self.inputs:
                inputs_item = inputs_item_data.to_dict()
                inputs.append(inputs_item)

        limits: dict[str, Any] | Unset = UNSET
        if not isinstance(self.limits, Unset):
            limits = self.limits.to_dict()

        supported_languages: list[str] | Unset = UNSET
        if not isinstance(self.supported_languages, Unset):
            supported_languages = self.supported_languages

        variants: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.variants, Unset):
            variants = []
            for variants_item_data in self.variants:
                variants_item = variants_item_data.to_dict()
                variants.append(variants_item)

        supports_residual = self.supports_residual

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "access": access,
                "outputFormats": output_formats,
            }
        )
        if category is not UNSET:
            field_dict["category"] = category
        if description is not UNSET:
            field_dict["description"] = description
        if credits_per_minute is not UNSET:
            field_dict["creditsPerMinute"] = credits_per_minute
        if inputs is not UNSET:
            field_dict["inputs"] = inputs
        if limits is not UNSET:
            field_dict["limits"] = limits
        if supported_languages is not UNSET:
            field_dict["supportedLanguages"] = supported_languages
        if variants is not UNSET:
            field_dict["variants"] = variants
        if supports_residual is not UNSET:
            field_dict["supportsResidual"] = supports_residual

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_input import ModelInput
        from ..models.model_limits import ModelLimits
        from ..models.model_variant import ModelVariant

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        access = d.pop("access")

        output_formats = cast(list[str], d.pop("outputFormats"))

        category = d.pop("category", UNSET)

        description = d.pop("description", UNSET)

        credits_per_minute = d.pop("creditsPerMinute", UNSET)

        _inputs = d.pop("inputs", UNSET)
        inputs: list[ModelInput] | Unset = UNSET
        if _inputs is not UNSET:
            inputs = []
            for inputs_item_data in _inputs:
                inputs_item = ModelInput.from_dict(inputs_item_data)

                inputs.append(inputs_item)

        _limits = d.pop("limits", UNSET)
        limits: ModelLimits | Unset
        if isinstance(_limits, Unset):
            limits = UNSET
        else:
            limits = ModelLimits.from_dict(_limits)

        supported_languages = cast(list[str], d.pop("supportedLanguages", UNSET))

        _variants = d.pop("variants", UNSET)
        variants: list[ModelVariant] | Unset = UNSET
        if _variants is not UNSET:
            variants = []
            for variants_item_data in _variants:
                variants_item = ModelVariant.from_dict(variants_item_data)

                variants.append(variants_item)

        supports_residual = d.pop("supportsResidual", UNSET)

        model = cls(
            id=id,
            name=name,
            access=access,
            output_formats=output_formats,
            category=category,
            description=description,
            credits_per_minute=credits_per_minute,
            inputs=inputs,
            limits=limits,
            supported_languages=supported_languages,
            variants=variants,
            supports_residual=supports_residual,
        )

        model.additional_properties = d
        return model

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
