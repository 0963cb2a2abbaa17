"""Separate one song into stems, printing the estimate first and the charge after.

    python separate_song.py SONG OUT_DIR [MODEL ...]      (default: vocals drums)

Reads AUDIOSHAKE_API_KEY, and AUDIOSHAKE_BASE_URL when set (the mock's URL, say);
otherwise talks to api.audioshake.ai. Exits 1 if any target failed.
"""

import sys

from audioshake_kit import AudioShake


def main(song: str, out_dir: str, models: list[str]) -> int:
    with AudioShake() as client:
        estimate = client.estimate(song, models)
        print(f"{song}: {estimate.minutes} billable minute(s), at most {estimate.total} credits")
        result = client.separate(song, models, out_dir)
        for path in result.files:
            print("saved", path)
        for failed in result.failed:
            print(f"failed: {failed.model} ({failed.code}): {failed.message}")
        print(f"task {result.task.id} cost {result.task.cost} credits")
        return 0 if result.all_succeeded else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:] or ["vocals", "drums"]))
