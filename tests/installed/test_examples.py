"""Every program in ``examples/`` runs, as a user runs it, against the mock: the same
mechanism as the README's blocks (``test_readme.py``): the built wheel in fresh venvs
outside the checkout, a served mock (``served_mock``: ``--clock real --speed 100``,
key ``readme-key``), inputs synthesised in an empty working directory.

The docs include these files as they are (``--8<-- "examples/..."``), so what the site
shows is what runs here. ``test_every_example_is_run`` makes a new example file fail
until a test here runs it.

The browser app runs in Debian's chromium through Playwright (from the dev venv, as
``tests/browser/``), served from another port than the API, so its calls are
cross-origin: the mock's CORS answers are part of what passes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import DEFAULT_KEY, ROOT, MockServer, Venv, free_port
from .test_readme import write_wav

EXAMPLES = ROOT / "examples"
TIMEOUT_S = 60.0
CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's binary (`make browser`)
FORGED_TASK = json.dumps(
    {"id": "t1", "createdAt": "2026-01-01T00:00:00Z", "clientId": "c1", "targets": []}
).encode()
# The files each test below runs; test_every_example_is_run compares with examples/.
RUN_HERE = {
    "separate_song.py",
    "estimate_folder.py",
    "webhook_receiver.py",
    "toy_app/karaoke.py",
    "toy_app/test_karaoke.py",
    "browser/index.html",
    "browser/app.js",
}


def _env(server: MockServer) -> dict[str, str]:
    return {"AUDIOSHAKE_API_KEY": DEFAULT_KEY, "AUDIOSHAKE_BASE_URL": server.base_url}


def _copy(name: str, work: Path) -> Path:
    src = EXAMPLES / name
    dest = work / name
    if src.is_dir():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy(src, dest)
    return dest


def test_every_example_is_run() -> None:
    found = {
        p.relative_to(EXAMPLES).as_posix()
        for p in EXAMPLES.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert found == RUN_HERE, f"examples/ and the files run here differ: {found ^ RUN_HERE}"


# -- programs -----------------------------------------------------------------------------


def _separate(venv: Venv, work: Path, server: MockServer, *models: str) -> str:
    _copy("separate_song.py", work)
    write_wav(work / "song.wav")
    done = venv.run(
        ["python", "separate_song.py", "song.wav", "stems", *models],
        cwd=work,
        extra_env=_env(server),
        timeout=TIMEOUT_S,
    )
    return done.stdout


def test_separate_song(base_venv: Venv, served_mock: MockServer, tmp_path: Path) -> None:
    out = _separate(base_venv, tmp_path, served_mock, "vocals", "bass")
    saved = [Path(p) for p in re.findall(r"^saved (.+)$", out, re.MULTILINE)]
    assert sorted(p.stem for p in saved) == ["bass", "vocals"], out
    assert all((tmp_path / p).stat().st_size > 0 for p in saved), out
    at_most = re.search(r"at most ([\d.]+) credits", out)
    cost = re.search(r"cost ([\d.]+) credits", out)
    assert at_most and cost, out
    assert float(cost.group(1)) == float(at_most.group(1)) > 0, out  # nothing failed: all of it


def test_estimate_folder(base_venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    (folder / "live").mkdir(parents=True)
    write_wav(folder / "intro.wav", seconds=3.0, rate=8000)  # 1 started minute
    write_wav(folder / "live" / "encore.wav", seconds=61.0, rate=8000)  # 2 started minutes
    (folder / "notes.txt").write_text("not media")
    _copy("estimate_folder.py", tmp_path)
    # No key and no base URL: an estimate sends nothing.
    done = base_venv.run(
        ["python", "estimate_folder.py", "catalog", "vocals", "drums"], cwd=tmp_path
    )
    lines = re.findall(r"^(\S+): ([\d.]+) s, (\d+) min, ([\d.]+) credits$", done.stdout, re.M)
    assert [(Path(f).name, int(m)) for f, _, m, _ in lines] == [("intro.wav", 1), ("encore.wav", 2)]
    total = re.search(r"^total: ([\d.]+) credits for 2 file\(s\)", done.stdout, re.M)
    assert total, done.stdout
    assert float(total.group(1)) == pytest.approx(sum(float(c) for *_, c in lines))
    # two targets at the same per-minute rate: the 2-minute file costs twice the 1-minute one
    assert float(lines[1][3]) == 2 * float(lines[0][3]) > 0, done.stdout

    (tmp_path / "empty").mkdir()
    empty = base_venv.run(
        ["python", "estimate_folder.py", "empty"], cwd=tmp_path, check=False, timeout=TIMEOUT_S
    )
    assert empty.returncode == 2 and "no media files" in empty.stdout, empty


def test_toy_app_suite(mock_venv: Venv, tmp_path: Path) -> None:
    """The karaoke app's own tests pass with the installed plugin's fixtures."""
    app = _copy("toy_app", tmp_path)
    wanted = len(re.findall(r"^def test_", (app / "test_karaoke.py").read_text(), re.M))
    done = mock_venv.run(
        ["pytest", "-q", "-p", "no:cacheprovider"], cwd=app, timeout=120, check=False
    )
    report = f"pytest exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, report
    assert re.search(rf"\b{wanted} passed\b", done.stdout), report
    assert not re.search(r"\b(failed|errors?|skipped|xfailed|xpassed)\b", done.stdout), report


def _admin(server: MockServer, method: str, path: str, body: object) -> None:
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"x-api-key": DEFAULT_KEY, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhook_receiver(base_venv: Venv, served_mock: MockServer, tmp_path: Path) -> None:
    """Signed deliveries of a two-target task reach the receiver and verify; a forged
    one gets a 400."""
    _copy("webhook_receiver.py", tmp_path)
    port = free_port()
    receiver = subprocess.Popen(
        ["python", "webhook_receiver.py", "--port", str(port), "--count", "2", "--any-age"],
        cwd=tmp_path,
        env=base_venv.env({"WEBHOOK_SECRET": "example-secret"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    hook = f"http://127.0.0.1:{port}/hook"
    try:
        assert receiver.stdout is not None
        first = receiver.stdout.readline()  # printed once the socket is bound
        assert first.startswith("listening on"), first
        # a well-formed Task with a signature the secret did not make
        forged = _post(hook, FORGED_TASK, {"X-AudioShake-Signature": f"t={int(time.time())},v1=00"})
        assert forged == 400
        _admin(served_mock, "PUT", "/_mock/webhook", {"url": hook, "secret": "example-secret"})
        _separate(base_venv, tmp_path, served_mock, "vocals", "drums")
        out, _ = receiver.communicate(timeout=TIMEOUT_S)  # it stops after 2 deliveries
    finally:
        _admin(served_mock, "PUT", "/_mock/webhook", {"url": None, "secret": None})
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait(timeout=10)
    assert receiver.returncode == 0, out
    tasks = re.findall(r"^task (\S+): (.+)$", out, re.M)
    assert len(tasks) == 2 and tasks[0][0] == tasks[1][0], out
    assert set(tasks[1][1].split()) == {"vocals=completed", "drums=completed"}, out
    assert out.count("rejected:") == 1, out  # the forged one only


# -- the browser app ------------------------------------------------------------------------


@pytest.fixture
def page_server() -> Iterator[str]:
    """``examples/browser/`` served over HTTP on its own port (another origin than the
    API), as ``python -m http.server`` would."""
    handler = partial(_QuietHandler, directory=str(EXAMPLES / "browser"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_browser_app(served_mock: MockServer, page_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    song = write_wav(tmp_path / "song.wav")
    t0 = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_S * 1000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{page_server}/index.html?api={served_mock.base_url}&key={DEFAULT_KEY}")
            page.click("#models")
            page.wait_for_function("document.getElementById('log').textContent.includes('models:')")
            page.set_input_files("#file", str(song))
            page.click("#separate")
            page.wait_for_function(
                "/^(done|error)/.test(document.getElementById('status').textContent)"
            )
            status, log = page.inner_text("#status"), page.inner_text("#log")
            sources = page.eval_on_selector_all("#outputs audio", "els => els.map(e => e.src)")
            fetched = page.evaluate(
                """async (url) => { const r = await fetch(url, {cache: 'no-store'});
                   return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }""",
                sources[0] if sources else "",
            )
        finally:
            browser.close()
    print(f"browser app: done in {time.monotonic() - t0:.1f} s")
    assert errors == [], errors
    assert status.startswith("done: vocals completed"), f"{status}\n{log}"
    assert [Path(s.split("?")[0]).name for s in sources] == ["vocals.wav", "vocals_residual.wav"]
    assert fetched[0] == 200 and fetched[1] == "audio/wav" and fetched[2] > 44, fetched
