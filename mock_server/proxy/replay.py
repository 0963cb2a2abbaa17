"""Replaying a cassette recorded with ``--record-media`` with its media: a VCR.py
persister that puts each kept media file back in place of its placeholder (checking the
file's SHA-256 against the placeholder's) when the cassette is loaded.

    my_vcr = vcr.VCR(record_mode="none")
    my_vcr.register_persister(MediaPersister)

With pytest-recording, register it in ``conftest.py``::

    def pytest_recording_configure(config, vcr):
        vcr.register_persister(MediaPersister)

Only VCR.py needs to be installed (it is imported when a cassette is loaded)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

__all__ = ["MediaPersister"]

_KEPT = re.compile(rb"<media (\d+) bytes, sha256 ([0-9a-f]{64}), file (\S+)>")


class MediaPersister:
    """VCR.py's filesystem persister, with kept media files inlined on load."""

    @classmethod
    def load_cassette(cls, cassette_path: str | Path, serializer: Any) -> Any:
        from vcr.persisters.filesystem import FilesystemPersister  # type: ignore[import-untyped]

        loaded = FilesystemPersister.load_cassette(cassette_path, serializer)
        folder = Path(cassette_path).parent
        for response in loaded[1]:
            body = response["body"]["string"]
            m = _KEPT.fullmatch(body) if isinstance(body, bytes) else None
            if m is None:
                continue
            path = folder / m.group(3).decode()
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != m.group(2).decode():
                raise ValueError(f"{path}: its SHA-256 is not the recorded one")
            response["body"]["string"] = data
            response["headers"]["content-length"] = [str(len(data))]
        return loaded

    @staticmethod
    def save_cassette(cassette_path: str | Path, cassette_dict: Any, serializer: Any) -> None:
        from vcr.persisters.filesystem import FilesystemPersister

        FilesystemPersister.save_cassette(cassette_path, cassette_dict, serializer)
