"""Which files a batch works on, what they are, and what they would cost.

- ``discover``: regular files of INPUT_DIR (``recursive``: of its subfolders too),
  sorted, skipping hidden names, ``.part`` files and OUT_DIR itself.
- ``sha256_file``: the content hash, streamed in 1 MiB blocks.
- ``examine``: a file's type (by content) and estimate, or why it is skipped. A file
  with no known signature is ``ignored`` unless its suffix says it is media
  (``domain.media.MEDIA_SUFFIXES``).
- ``output_dir``: ``<relative path without suffix>``; a clash (``a.wav`` and ``a.mp3``)
  gets the suffix appended (``a_mp3``).
- ``require_media``: ``NoMediaError`` when no file found is media (by suffix or content).
- ``dry_run``: the per-file and total estimate; it sends nothing and writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from ..domain.billing import round_credits
from ..errors import ValidationError
from .manifest import MANIFEST_NAME
from .report import REPORT_NAME, BatchReport, FileReport

if TYPE_CHECKING:
    from ..client import AudioShake
    from ..types import Estimate

__all__ = [
    "Examined",
    "InputFile",
    "NoMediaError",
    "discover",
    "dry_run",
    "examine",
    "output_dir",
    "require_media",
    "sha256_file",
]

_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file found in INPUT_DIR; ``rel`` is its path relative to it, ``/``-separated."""

    path: Path
    rel: str
    size: int
    mtime_ns: int


def discover(
    input_dir: Path, *, recursive: bool, exclude: Collection[Path] = ()
) -> list[InputFile]:
    """The input files, sorted by relative path. ``ValidationError`` when INPUT_DIR is not
    a readable folder."""
    if not input_dir.is_dir():
        what = "does not exist" if not input_dir.exists() else "is not a folder"
        raise ValidationError(f"{input_dir} {what}", field="input_dir")
    skip = {p.resolve() for p in exclude}
    found: list[InputFile] = []
    try:
        for path in _walk(input_dir, recursive, skip | {input_dir.resolve()}):
            st = path.stat()
            rel = path.relative_to(input_dir).as_posix()
            found.append(InputFile(path, rel, st.st_size, st.st_mtime_ns))
    except PermissionError as exc:
        raise ValidationError(
            f"cannot read {exc.filename}: permission denied", field="input_dir"
        ) from None
    return sorted(found, key=lambda f: f.rel)


def _walk(folder: Path, recursive: bool, skip: set[Path]) -> Iterator[Path]:
    """Files of ``folder``; with ``recursive``, of its subfolders not in ``skip`` (which
    grows with every folder entered, so a symlink loop is walked once)."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith(".") or entry.name.endswith(".part"):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=True):
                real = path.resolve()
                if recursive and real not in skip:
                    skip.add(real)
                    yield from _walk(path, recursive, skip)
            elif entry.is_file(follow_symlinks=True) and entry.name not in (
                MANIFEST_NAME,
                REPORT_NAME,
            ):
                yield path


class NoMediaError(ValidationError):
    """INPUT_DIR holds no media file (``recursive``: counting its subfolders)."""

    def __init__(self, input_dir: Path, *, recursive: bool) -> None:
        from ..domain.media import SUPPORTED_MEDIA

        hint = "" if recursive else "; pass recursive=True to look in subfolders"
        super().__init__(
            f"no media files in {input_dir} (looked for {SUPPORTED_MEDIA}{hint})",
            field="input_dir",
        )
        self.input_dir = input_dir
        self.recursive = recursive


def require_media(input_dir: Path, files: list[InputFile], *, recursive: bool) -> None:
    """``NoMediaError`` unless some file is media by its suffix or, failing that, by its
    content (only read when no suffix says media)."""
    from ..domain.media import MEDIA_FORMATS, MEDIA_SUFFIXES, sniff_file

    if any(f.path.suffix.lower().lstrip(".") in MEDIA_SUFFIXES for f in files):
        return
    for f in files:
        try:
            if sniff_file(f.path) in MEDIA_FORMATS:
                return
        except OSError:
            continue
    raise NoMediaError(input_dir, recursive=recursive)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def output_dir(rel: str, taken: Callable[[str], bool]) -> str:
    """Where a file's outputs go, relative to OUT_DIR (``taken``: used by another file)."""
    posix = PurePosixPath(rel)
    base = str(posix.with_suffix("")) if posix.suffix else rel
    if not taken(base):
        return base
    candidate = f"{base}_{posix.suffix.lstrip('.') or 'file'}"
    n = 1
    while taken(candidate):
        n += 1
        candidate = f"{base}_{posix.suffix.lstrip('.') or 'file'}_{n}"
    return candidate


@dataclass(frozen=True, slots=True)
class Examined:
    """What a file is: its estimate, or why it is skipped or ignored."""

    verdict: Literal["media", "skipped", "ignored"]
    estimate: Estimate | None = None
    reason: str | None = None


def examine(client: AudioShake, file: InputFile, wires: list[dict[str, Any]]) -> Examined:
    """Check ``file`` as an upload would (type by content, size) and estimate it by the
    service's own probe. Reads only the file."""
    from ..domain.media import MEDIA_FORMATS, MEDIA_SUFFIXES, SUPPORTED_MEDIA, sniff_file

    suffix = file.path.suffix.lower().lstrip(".")
    try:
        kind = sniff_file(file.path)
    except OSError as exc:
        return Examined("skipped", reason=f"cannot read {file.rel}: {exc.strerror or exc}")
    if kind not in MEDIA_FORMATS:
        if suffix not in MEDIA_SUFFIXES:
            return Examined("ignored", reason="not an audio or video file")
        what = f"{kind}, not audio or video" if kind else "not a supported type"
        return Examined(
            "skipped",
            reason=f"{file.rel}: content is {what} ({SUPPORTED_MEDIA})",
        )
    try:
        est = client.estimate(file.path, wires)
    except ValidationError as exc:
        return Examined("skipped", reason=f"{file.rel}: {exc}")
    except OSError as exc:
        return Examined("skipped", reason=f"cannot read {file.rel}: {exc.strerror or exc}")
    return Examined("media", estimate=est)


def dry_run(
    client: AudioShake,
    input_dir: Path,
    out_dir: Path,
    wires: list[dict[str, Any]],
    labels: tuple[str, ...],
    *,
    recursive: bool,
) -> BatchReport:
    """Every file's estimate and the total; sends nothing, creates nothing."""
    files: list[FileReport] = []
    found = discover(input_dir, recursive=recursive, exclude=[out_dir])
    require_media(input_dir, found, recursive=recursive)
    for f in found:
        seen = examine(client, f, wires)
        if seen.estimate is not None:
            est = seen.estimate
            files.append(
                FileReport(
                    f.rel,
                    "estimated",
                    duration=est.duration,
                    estimate=est.total,
                    approximate=est.approximate,
                )
            )
        else:
            status: Literal["skipped", "ignored"] = (
                "ignored" if seen.verdict == "ignored" else "skipped"
            )
            kind = "input" if status == "skipped" else None
            files.append(FileReport(f.rel, status, error=seen.reason, error_kind=kind))
    total = round_credits(sum(f.estimate or 0.0 for f in files))
    return BatchReport(
        input_dir=str(input_dir),
        out_dir=str(out_dir),
        targets=labels,
        files=tuple(files),
        dry_run=True,
        estimated=total,
    )
