"""Output files, made on first download (so a task costs nothing on disk until then)
from the task's input by ``render``; kept until the task's retention ends.

Rendering is deterministic, so audio outputs are cached by what decides them (the
input's content, and each part's name, format, role and model) in a bounded store
under ``data_dir/render-cache``; a task whose input and targets were rendered before
(a test fixture uploaded again, say) gets hard links instead of a second render.

A target's files are ``<task output dir>/<target id>-<output file name>``: one directory
per task (made at creation), so serving a target costs links, not directories."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import xxhash

from audioshake_kit.domain.catalog import Catalog

from .records import MediaSource, Target, Task
from .render import AudioPart, render_audio, render_text
from .synth import synth_media

__all__ = ["OutputFiles"]

CACHE_ENTRIES = 64
DIGESTS_KEPT = 1024
LOCK_STRIPES = 64


class OutputFiles:
    def __init__(self, data_dir: Path, catalog: Catalog) -> None:
        self.data_dir = data_dir
        self.catalog = catalog
        # locks are taken in the order target -> render -> media, one of each at most,
        # so each kind has its own stripes (a shared stripe would deadlock on a collision)
        self._stripes = {
            kind: [threading.Lock() for _ in range(LOCK_STRIPES)]
            for kind in ("target", "render", "media")
        }
        self._guard = threading.Lock()
        self._cache_dir = data_dir / "render-cache"
        self._cache: OrderedDict[str, Path] = OrderedDict()
        # content digests by file identity, which a task's hard link shares with its asset
        self._digests: OrderedDict[tuple[int, int, int, int], str] = OrderedDict()

    def _lock(self, kind: str, name: str) -> threading.Lock:
        """The lock for work of ``kind`` on ``name`` (a bounded set, shared by hash)."""
        return self._stripes[kind][hash(name) % LOCK_STRIPES]

    def input_path(self, media: MediaSource) -> Path:
        """The input on disk; synthetic URL media is made the first time it is needed."""
        if media.path is not None:
            return media.path
        seed = media.synth_seed or 0
        path = self.data_dir / "media" / f"synth-{seed}-{media.duration}.wav"
        with self._lock("media", f"{seed}-{media.duration}"):
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.wav")
                synth_media(tmp, media.duration or 1.0, "wav", seed=seed)
                tmp.replace(path)
        return path

    @staticmethod
    def path(task: Task, target: Target, filename: str) -> Path:
        """Where the output ``filename`` of ``target`` is kept."""
        assert task.output_dir is not None
        return task.output_dir / f"{target.id}-{filename}"

    def ensure(self, task: Task, target: Target) -> None:
        """Render every output of ``target`` once (see ``path``). Blocking."""
        if target.rendered:
            return
        with self._lock("target", target.id):
            if target.rendered:
                return
            assert task.output_dir is not None
            task.output_dir.mkdir(parents=True, exist_ok=True)
            text = [o for o in target.outputs if o.role == "text"]
            for o in text:
                data = render_text(
                    self.catalog[target.model],
                    cast(Any, o.format),
                    task.media.duration or 0.0,
                    seed=_seed(target.id),
                    language=target.language,
                    transcript=target.transcript_text,
                )
                self.path(task, target, f"{o.name}.{o.format}").write_bytes(data)
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
                cached = self._rendered(task.media, audio)
                for part in audio:
                    _link(cached / part.filename, self.path(task, target, part.filename))
            target.rendered = True

    def _rendered(self, media: MediaSource, parts: Sequence[AudioPart]) -> Path:
        """The cache directory holding ``parts`` rendered from ``media``."""
        source = self.input_path(media)
        digest = self._digest(source)
        spec = repr([(p.name, p.format, p.role, p.key, p.index, p.count) for p in parts])
        key = hashlib.blake2b(f"{digest}|{media.kind}|{spec}".encode(), digest_size=16)
        entry = self._cache_dir / key.hexdigest()
        with self._lock("render", entry.name):
            with self._guard:
                if entry.name in self._cache:
                    self._cache.move_to_end(entry.name)
                    return entry
            tmp = entry.with_name(entry.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            render_audio(source, parts, tmp, video_input=media.kind == "video")
            tmp.replace(entry)
            with self._guard:
                self._cache[entry.name] = entry
                while len(self._cache) > CACHE_ENTRIES:
                    _, old = self._cache.popitem(last=False)
                    shutil.rmtree(old, ignore_errors=True)
        return entry

    def _digest(self, path: Path) -> str:
        """The content's XXH3-128, taken once per file (not per task): an identity for
        the cache, not a defence (the inputs are the user's own files)."""
        st = path.stat()
        ident = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._guard:
            digest = self._digests.get(ident)
        if digest is None:
            h = xxhash.xxh3_128()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            digest = h.hexdigest()
            with self._guard:
                self._digests[ident] = digest
                while len(self._digests) > DIGESTS_KEPT:
                    self._digests.popitem(last=False)
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
