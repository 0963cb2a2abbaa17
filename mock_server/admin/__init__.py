"""Test controls: a Python API (``MockAdmin``) and the ``/_mock/`` routes that wrap it."""

from .api import MockAdmin

__all__ = ["MockAdmin"]
