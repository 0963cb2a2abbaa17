"""The ``[mock]`` extra: what to say when its packages are missing.

``pip install audioshake-kit`` brings the facade and this package's light parts (the
pytest plugin's registration, the CLI's help); the server itself needs the extra.
Importing anything that needs it goes through ``needs_mock_extra``, which turns a
missing third-party module into ``MissingExtraError`` naming the extra and the module.
Imports nothing heavy itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["INSTALL_HINT", "MissingExtraError", "needs_mock_extra"]

INSTALL_HINT = "pip install 'audioshake-kit[mock]'"
_OWN = frozenset({"mock_server", "audioshake_kit", "audioshake_client"})


class MissingExtraError(ImportError):
    """A package of the ``[mock]`` extra is not installed; ``module`` names it."""

    def __init__(self, what: str, module: str) -> None:
        self.module = module
        super().__init__(
            f"{what} needs the [mock] extra of audioshake-kit, and its dependency "
            f"{module!r} is not installed. Install the extra with: {INSTALL_HINT}",
            name=module,
        )


@contextlib.contextmanager
def needs_mock_extra(what: str) -> Iterator[None]:
    """Run imports that need the extra; a missing third-party module becomes
    ``MissingExtraError`` (what needs it, the module, the install command). A module of
    the kit itself that fails to import is a broken install and is re-raised as it is."""
    try:
        yield
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if not top or top in _OWN:
            raise
        raise MissingExtraError(what, top) from exc
