"""Output files, made on first download (so a task costs nothing on disk until then)
from the task's input by ``render``; kept until the task's retention ends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

from .records import MediaSource, Target, Task
from .render import AudioPart, render_audio, render_text
from .synth import synth_media

__all__ = ["OutputFiles"]


class OutputFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

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
                render_audio(
                    self.input_path(task.media),
                    audio,
                    out_dir,
                    video_input=task.media.kind == "video",
                )
            done.touch()
        return out_dir


def _seed(text: str) -> int:
    return int.from_bytes(text.encode()[-8:].ljust(8, b"\0"), "big") & 0x7FFFFFFF
