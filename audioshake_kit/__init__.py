"""audioshake-kit: a spec-driven toolkit for the AudioShake Tasks API."""

from .catalog import Catalog, ModelSpec, VariantSpec, get_catalog

__all__ = ["Catalog", "ModelSpec", "VariantSpec", "get_catalog"]
__version__ = "0.1.0"
