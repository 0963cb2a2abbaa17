"""Where the packaged OpenAPI spec and model catalog live, and loading them.

The files sit in ``openapi/`` in the source tree; ``audioshake_kit/data`` links to them
so that a wheel carries real copies (package data) and an installed kit works without
the checkout.
"""

from __future__ import annotations

import functools
import json
from typing import Any, cast

__all__ = ["data_text", "load_catalog_data", "load_spec"]


def data_text(name: str) -> str:
    """The text of one packaged data file (``audioshake.yaml``, ``models.yaml`` …)."""
    from importlib import resources

    return resources.files("audioshake_kit").joinpath("data", name).read_text("utf-8")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The public OpenAPI description, parsed once per process. Do not mutate it."""
    import yaml  # imported when first needed: ``import audioshake_kit`` stays light

    return cast(dict[str, Any], yaml.safe_load(data_text("audioshake.yaml")))


@functools.cache
def load_catalog_data() -> dict[str, Any]:
    """The raw model catalog, validated against its JSON Schema. Do not mutate it."""
    import jsonschema
    import yaml

    data = cast(dict[str, Any], yaml.safe_load(data_text("models.yaml")))
    schema = json.loads(data_text("models.schema.json"))
    jsonschema.Draft202012Validator(schema).validate(data)
    return data
