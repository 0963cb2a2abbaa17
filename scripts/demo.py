"""`make demo`: the main job, end to end on this machine.

Makes a short song (real audio, synthesised, seeded), starts the bundled mock on a free
port, runs `audioshake separate` on the song through the facade, checks the charged
cost against the estimate in the mock's ledger, lists the stems it wrote, and stops the
mock. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from audioshake_kit.domain.media import probe
from mock_server.synth import synth_media

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-output"
BIN = Path(sys.executable).parent
KEY = "demo-key"
TARGETS = ["vocals:wav,mp3", "drums", "bass", "instrumental@high_quality+residual"]


def start_mock() -> tuple[subprocess.Popen[str], str]:
    cmd = [
        str(BIN / "audioshake-mock"),
        "serve",
        "--port",
        "0",
        "--clock",
        "real",
        "--speed",
        "20",
        "--seed",
        "1",
        "--quiet",  # the mock's access log would interleave with the CLI's progress
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "serving on" in line:
            return proc, line.split("serving on ", 1)[1].split()[0]
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("demo: the mock did not start")


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    song = synth_media(OUT / "song.wav", 8.0, "wav", seed=1)
    print(f"song: {song.relative_to(ROOT)} ({probe(song).duration:.2f} s of synthesised music)")
    proc, base_url = start_mock()
    print(f"mock: {base_url}")
    try:
        env = {**os.environ, "AUDIOSHAKE_BASE_URL": base_url, "AUDIOSHAKE_API_KEY": KEY}
        args = [str(BIN / "audioshake"), "separate", str(song), "-o", str(OUT / "stems")]
        for t in TARGETS:
            args += ["-t", t]
        print(
            "$ audioshake separate demo-output/song.wav "
            + " ".join(f"-t {t}" for t in TARGETS)
            + " -o demo-output/stems"
        )
        code = subprocess.call(args, env=env)
        if code != 0:
            print(f"demo: audioshake separate exited with {code}", file=sys.stderr)
            return code
        with urllib.request.urlopen(f"{base_url}/_mock/ledger?key={KEY}") as r:
            ledger = json.load(r)
        reserved = sum(e["credits"] for e in ledger if e["kind"] == "reserve")
        charged = sum(e["credits"] for e in ledger if e["kind"] == "charge")
        verdict = "matches" if abs(reserved - charged) < 1e-9 else "DIFFERS FROM"
        print(f"ledger: charged {charged:g} credits, {verdict} the estimate of {reserved:g}")
        print("stems:")
        for path in sorted((OUT / "stems").rglob("*.*")):
            info = probe(path)
            print(
                f"  {path.relative_to(ROOT)}  {path.stat().st_size:>9,} bytes  "
                f"{info.duration:.2f} s  {info.format}"
            )
        return 0 if verdict == "matches" else 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("mock: stopped")


if __name__ == "__main__":
    raise SystemExit(main())
