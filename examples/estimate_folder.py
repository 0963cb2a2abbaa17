"""Estimate what separating every media file in a folder would cost. Sends nothing: the
estimate is computed locally from each file's duration and the model catalog's rates.

    python estimate_folder.py FOLDER [MODEL ...]      (default: vocals drums)

Needs no API key. Prints one line per file and the total; exits 2 if the folder has no
media file.
"""

import sys
from pathlib import Path

from audioshake_kit import AudioShake, ValidationError

MEDIA = {".wav", ".mp3", ".flac", ".aiff", ".aif", ".m4a", ".aac", ".mp4", ".mov"}


def main(folder: str, models: list[str]) -> int:
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in MEDIA)
    if not files:
        print(f"no media files in {folder} (looked for {', '.join(sorted(MEDIA))})")
        return 2
    total = 0.0
    with AudioShake(api_key="not-needed-to-estimate") as client:
        for path in files:
            try:
                estimate = client.estimate(path, models)
            except ValidationError as exc:  # unreadable or unsupported: say so, go on
                print(f"{path}: skipped: {exc}")
                continue
            mark = "≈" if estimate.approximate else ""
            print(
                f"{path}: {estimate.duration:.1f} s, {estimate.minutes} min, {mark}{estimate.total} credits"
            )
            total += estimate.total
    print(f"total: {round(total, 4)} credits for {len(files)} file(s), {', '.join(models)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:] or ["vocals", "drums"]))
