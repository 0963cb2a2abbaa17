"""The ``audioshake`` command line (typer + rich; the only place the kit imports them)."""

from .main import app

__all__ = ["app"]
