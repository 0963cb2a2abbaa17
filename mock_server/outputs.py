"""Output files, made on first download (so a task costs nothing on disk until then)
from the task's input by ``render``; kept until the task's retention ends.

Rendering is deterministic, so audio outputs are cached by what decides them (the
input's content, and each part's name, format, role and model) in a bounded store
under ``data_dir/render-cache``; a task whose input and targets were rendered before
(a test fixture uploaded again, say) gets hard links instead of a second render."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from .records import MediaSource, Target, Task
from .render import AudioPart, render_audio, render_text
from .synth import synth_media

__all__ = ["OutputFiles"]

CACHE_ENTRIES = 64


class OutputFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._cache_dir = data_dir / "render-cache"
        self._cache: OrderedDict[str, Path] = OrderedDict()
        self._digests: dict[tuple[str, int, int], str] = {}

    def _lock(self, target_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(target_id, threading.Lock())

    def input_path(self, media: MediaSource) -> Path:
        """The input on disk; synthetic URL media is made the first time it is needed."""
        if media.path is not None:
            return media.path
        seed = media.synth_seed or 0
        path = self.data_dir / "media" / f"synth-{seed}-{media.duration}.wav"
        with self._lock(f"media-{seed}-{media.duration}"):
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.wav")
                synth_media(tmp, media.duration or 1.0, "wav", seed=seed)
                tmp.replace(path)
        return path

    def ensure(self, task: Task, target: Target) -> Path:
        """Render every output of ``target`` once; returns its directory. Blocking."""
        assert task.output_dir is not None
        out_dir = task.output_dir / target.id
        done = out_dir / ".complete"
        with self._lock(target.id):
            if done.exists():
                return out_dir
            out_dir.mkdir(parents=True, exist_ok=True)
            text = [o for o in target.outputs if o.role == "text"]
            for o in text:
                data = render_text(
                    target.model,
                    cast(Any, o.format),
                    task.media.duration or 0.0,
                    seed=_seed(target.id),
                    language=target.language,
                    transcript=target.transcript_text,
                )
                (out_dir / f"{o.name}.{o.format}").write_bytes(data)
            audio = [
                AudioPart(
                    o.name,
                    o.format,
                    cast(Any, o.role),
                    key=target.model,
                    index=o.index,
                    count=o.count,
                )
                for o in target.outputs
                if o.role != "text"
            ]
            if audio:
                cached = self._rendered(self.input_path(task.media), audio, task.media.kind)
                for part in audio:
                    _link(cached / part.filename, out_dir / part.filename)
            done.touch()
        return out_dir

    def _rendered(self, source: Path, parts: Sequence[AudioPart], kind: str) -> Path:
        """The cache directory holding ``parts`` rendered from ``source``."""
        spec = repr([(p.name, p.format, p.role, p.key, p.index, p.count) for p in parts])
        key = hashlib.blake2b(f"{self._digest(source)}|{kind}|{spec}".encode(), digest_size=16)
        entry = self._cache_dir / key.hexdigest()
        with self._lock(f"render-{entry.name}"):
            with self._guard:
                if entry.name in self._cache:
                    self._cache.move_to_end(entry.name)
                    return entry
            tmp = entry.with_name(entry.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            render_audio(source, parts, tmp, video_input=kind == "video")
            tmp.replace(entry)
            with self._guard:
                self._cache[entry.name] = entry
                while len(self._cache) > CACHE_ENTRIES:
                    _, old = self._cache.popitem(last=False)
                    shutil.rmtree(old, ignore_errors=True)
        return entry

    def _digest(self, path: Path) -> str:
        st = path.stat()
        ident = (str(path), st.st_size, st.st_mtime_ns)
        digest = self._digests.get(ident)
        if digest is None:
            h = hashlib.blake2b(digest_size=16)
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            digest = self._digests[ident] = h.hexdigest()
        return digest


def _link(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (a copy where the file system can't link)."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _seed(text: str) -> int:
    return int.from_bytes(text.encode()[-8:].ljust(8, b"\0"), "big") & 0x7FFFFFFF
