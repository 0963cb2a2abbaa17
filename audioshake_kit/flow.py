"""The one step vocabulary of the kit's I/O-free flows (httpx ``_auth.py`` style).

A flow is a generator: it yields steps, is sent the answer to each, and returns its
result. The logic exists once; each client runs every flow with its one driver
(``AudioShake._run``, ``AsyncAudioShake._run``), which is all that differs between sync
and async. Flows compose with ``yield from``.

=========================== ==========================================================
step                         answer sent back
=========================== ==========================================================
``Send(op)``                 the ``Response`` of one attempt of ``op``, or the
                             ``APIError`` the attempt became (no answer, unreadable)
``Sleep(seconds)``           None
``Download(link, output)``   None: the output is saved and in place; ``RESTART``: its
                             resume was refused (``.part`` dropped); or the ``APIError``
=========================== ==========================================================

The flows: ``sending.send_flow`` / ``create_flow``, ``polling.wait_flow``,
``downloads.download_flow``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeAlias, TypeVar

from .errors import APIError

if TYPE_CHECKING:  # the generated client loads when a request is first made, not on import
    from audioshake_client.client import AuthenticatedClient
    from audioshake_client.models import Error
    from audioshake_client.types import Response

    from .downloads import PlannedOutput, ProgressCallback

__all__ = ["RESTART", "Answer", "Download", "Flow", "Op", "Send", "Sleep", "Step"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Op(Generic[T]):
    """One API operation, bound to its arguments: ``sync``/``asyncio`` call the generated
    ``sync_detailed``/``asyncio_detailed``. ``resendable`` marks a non-GET that is harmless
    to repeat (uploads)."""

    method: str
    path: str
    sync: Callable[[AuthenticatedClient], Response[T | Error]]
    asyncio: Callable[[AuthenticatedClient], Awaitable[Response[T | Error]]]
    resendable: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    """Make one attempt of ``op`` (through the client's rate limiter)."""

    op: Op[Any]


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` on the client's clock."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Download:
    """Stream ``link`` into ``output``'s ``.part`` file (resuming it), then move it into
    place; ``on_progress(path, bytes_done, total_or_None)`` as it goes."""

    link: str
    output: PlannedOutput
    on_progress: ProgressCallback | None = None


RESTART: Final = "restart"
"""The answer to a ``Download`` whose resume the file host refused: start it again."""

Step: TypeAlias = Send | Sleep | Download
Answer: TypeAlias = "Response[Any] | APIError | Literal['restart'] | None"
Flow: TypeAlias = Generator[Step, Answer, T]
