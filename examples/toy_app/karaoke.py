"""A toy app: turn a song into a karaoke track (the instrumental, as mp3).

It is what the tests beside it test with the audioshake-kit pytest fixtures. In
production it reads AUDIOSHAKE_API_KEY (and AUDIOSHAKE_BASE_URL, if set) from the
environment; tests hand it a client wired to the mock, or point the environment at a
served mock.
"""

from dataclasses import dataclass
from pathlib import Path

from audioshake_kit import AudioShake


class KaraokeError(Exception):
    """The instrumental could not be made; ``charged`` says whether it was paid for."""

    def __init__(self, message: str, *, task_id: str, charged: bool) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.charged = charged


@dataclass(frozen=True)
class KaraokeTrack:
    path: Path
    credits: float


def make_karaoke(song: Path, out_dir: Path, client: AudioShake | None = None) -> KaraokeTrack:
    """Separate ``song``'s instrumental into ``out_dir``; raise ``KaraokeError`` if it failed."""
    own = client is None
    client = client or AudioShake()
    try:
        result = client.separate(song, [("instrumental", ["mp3"])], out_dir)
    finally:
        if own:
            client.close()
    if result.failed:
        failed = result.failed[0]
        hint = " (charged: ask support for a refund)" if failed.charged else " (not charged)"
        raise KaraokeError(
            f"no instrumental for {song.name}: {failed.message}{hint}",
            task_id=result.task.id,
            charged=failed.charged,
        )
    (path,) = result.files
    return KaraokeTrack(path=path, credits=result.task.cost or 0.0)
