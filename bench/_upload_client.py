"""Child process of ``bench.upload_memory``: upload one file through the facade and
print JSON with this process's RSS before and its peak RSS during the upload.

    python -m bench._upload_client BASE_URL FILE
"""

from __future__ import annotations

import json
import sys
import time

from audioshake_kit import AudioShake

from .common import KEY, proc_status, reset_peak_rss


def main() -> None:
    base, path = sys.argv[1], sys.argv[2]
    with AudioShake(KEY, base_url=base, timeout=600.0, max_retries=0) as client:
        client.models()  # warm: imports, connection, generated models
        before = proc_status()["VmRSS"]
        reset = reset_peak_rss()
        t0 = time.perf_counter()
        asset = client.upload(path)
        seconds = time.perf_counter() - t0
        peak = proc_status()["VmHWM"]
    out = {
        "rss_before_kb": before,
        "peak_kb": peak,
        "peak_reset": reset,
        "seconds": seconds,
        "asset_id": asset.id,
        "size": asset.size,
    }
    print("CLIENTJSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
