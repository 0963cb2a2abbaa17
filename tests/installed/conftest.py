"""The kit as a user installs it: the wheel, built once per session, in fresh venvs made
outside the checkout.

- ``wheel``: ``pip wheel --no-deps`` of a copy of the sources (symlinks resolved, so the
  wheel carries real copies of ``audioshake_kit/data/``; a copy, so a stale ``build/``
  in the checkout or a concurrent build cannot leak into it).
- ``base_venv``: the wheel alone (facade, CLI, generated client).
- ``mock_venv``: ``wheel[mock]`` and pytest (the mock server and its fixtures).

- ``fresh_clone``: ``git clone`` of this repository (HEAD) and its ``make setup``, for
  ``make demo`` as a new developer runs it.

The three are made at the same time, in the background, as soon as one is needed (pip
waits mostly on the network); the venvs by pip from the wheel file (``pip --python
VENV/bin/python install 'WHEEL[mock]'``). ``Venv.run`` runs a command as a user would after
activating the venv: a clean environment (no PYTHONPATH, the venv's ``bin`` first on
PATH), a working directory outside the checkout.

Every test in this directory is ``slow`` and in the xdist group ``installed``, so under
``pytest -n 2 --dist loadgroup`` they run on one worker and the wheel and venvs are
built once.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GROUP = "installed"
# What the wheel is built from (pyproject.toml's packages, readme and license).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "audioshake_kit", "mock_server", "generated")
INSTALL_TIMEOUT_S = 600.0
STARTUP_S = 30.0
STOP_S = 15.0
DEFAULT_KEY = "readme-key"
# A served mock for snippets runs a real clock this much faster than the wall.
SPEED = 100


def _here(item: pytest.Item) -> bool:
    return HERE in item.path.parents


@pytest.hookimpl(tryfirst=True)  # before -m deselects and xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _here(item):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group(GROUP))


# -- environments ---------------------------------------------------------------------


def clean_env(bin_dir: Path | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a user's shell holds after activating the venv at ``bin_dir``: PATH with it
    first, HOME, a UTF-8 locale, pip's own settings; nothing of this checkout or of the
    pytest running now (no PYTHONPATH, VIRTUAL_ENV of the dev venv, PYTEST_*)."""
    system = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not _dev_bin(p)]
    env = {
        "PATH": os.pathsep.join([str(bin_dir), *system] if bin_dir else system),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLUMNS": "120",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    if bin_dir is not None:
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env.update(extra or {})
    return env


def _dev_bin(path: str) -> bool:
    """The bin folder of the venv running these tests (or any venv inside the checkout)."""
    p = Path(path).resolve()
    return p == Path(sys.executable).parent.resolve() or ROOT in p.parents


def run(
    args: Sequence[str] | str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 120.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (a string runs through bash, as typed); fail with its output unless
    it exits 0 (``check``)."""
    assert ROOT not in cwd.resolve().parents and cwd.resolve() != ROOT, cwd
    cmd = ["bash", "-c", args] if isinstance(args, str) else list(args)
    try:
        done = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out, err = (
            s.decode(errors="replace") if isinstance(s, bytes) else (s or "")
            for s in (exc.stdout, exc.stderr)
        )
        raise AssertionError(
            f"{args!r} did not finish within {timeout:g} s (cwd {cwd})\n"
            f"--- stdout\n{out}\n--- stderr\n{err}"
        ) from None
    if check and done.returncode != 0:
        raise AssertionError(
            f"{args!r} exited {done.returncode} (cwd {cwd})\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
    return done


@dataclass(frozen=True)
class Venv:
    """A venv made by these fixtures, outside the checkout."""

    name: str
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return clean_env(self.bin, extra)

    def run(
        self,
        args: Sequence[str] | str,
        *,
        cwd: Path,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = 120.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        return run(args, cwd=cwd, env=self.env(extra_env), timeout=timeout, check=check)

    def owns(self, file: str) -> bool:
        """Whether ``file`` (a module's ``__file__``) lies inside this venv."""
        return self.path.resolve() in Path(file).resolve().parents


# -- the wheel and the venvs ----------------------------------------------------------


def _timed(what: str, t0: float) -> None:
    print(f"installed: {what} in {time.monotonic() - t0:.1f} s")  # shown with -s


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t0 = time.monotonic()
    src = tmp_path_factory.mktemp("wheel-src")
    for name in SOURCES:
        here = ROOT / name
        if here.is_dir():
            shutil.copytree(
                here,  # symlinks=False: the data files become real copies
                src / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ruff_cache", "*.egg-info"),
            )
        else:
            shutil.copy(here, src / name)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    run([*cmd, "--wheel-dir", str(out), str(src)], cwd=out, env=clean_env(None), timeout=300)
    (whl,) = out.glob("audioshake_kit-*.whl")
    _timed(f"built {whl.name}", t0)
    return whl


class _Job:
    """A command running in the background (its own process group), output to a log,
    that makes ``path``."""

    def __init__(
        self, what: str, args: Sequence[str], *, path: Path, cwd: Path, env: Mapping[str, str]
    ) -> None:
        self.what = what
        self.path = path
        self._reported = False
        self.t0 = time.monotonic()
        self.log = cwd / f"{what.replace(' ', '-')}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                list(args),
                cwd=cwd,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait(self) -> None:
        try:
            code = self.proc.wait(timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.what}: not done in {INSTALL_TIMEOUT_S:g} s") from None
        if code != 0:
            raise AssertionError(f"{self.what} exited {code}:\n{self.log.read_text()}")
        if not self._reported:
            self._reported = True
            _timed(self.what, self.t0)

    def stop(self) -> None:
        """End it (and its children) if it still runs: nobody needed it this session."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_S)


@pytest.fixture(scope="session")
def _jobs(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, _Job]]:
    """The slow set-ups, all at once (pip waits mostly on the network): the two venvs,
    and a fresh clone of this repository with its ``make setup`` (for ``make demo``)."""
    root = tmp_path_factory.mktemp("venvs")
    env = clean_env(None)
    jobs: dict[str, _Job] = {}
    for name, requirements in (("base", [str(wheel)]), ("mock", [f"{wheel}[mock]", "pytest"])):
        venv = root / name
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root, env=env)
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        install = [*pip, "install", "--quiet", *requirements]
        jobs[name] = _Job(f"installed the {name} venv", install, path=venv, cwd=root, env=env)
    clone = tmp_path_factory.mktemp("clone") / "audioshake-kit"
    src, dest = shlex.quote(str(ROOT)), shlex.quote(str(clone))
    script = f"git clone --quiet {src} {dest} && make -C {dest} setup"
    jobs["clone"] = _Job(
        "cloned and ran make setup", ["bash", "-c", script], path=clone, cwd=clone.parent, env=env
    )
    yield jobs
    for job in jobs.values():
        job.stop()


@pytest.fixture(scope="session")
def base_venv(_jobs: dict[str, _Job]) -> Venv:
    """The wheel alone: ``pip install audioshake-kit``."""
    _jobs["base"].wait()
    return Venv("base", _jobs["base"].path)


@pytest.fixture(scope="session")
def mock_venv(_jobs: dict[str, _Job]) -> Venv:
    """``pip install 'audioshake-kit[mock]' pytest``."""
    _jobs["mock"].wait()
    return Venv("mock", _jobs["mock"].path)


@pytest.fixture(scope="session")
def fresh_clone(_jobs: dict[str, _Job]) -> Path:
    """A ``git clone`` of this repository (its committed HEAD) outside the checkout,
    after ``make setup`` (a ``.venv`` with the ``[dev]`` extra, as a new developer's)."""
    _jobs["clone"].wait()
    return _jobs["clone"].path


# -- a served mock --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(url: str, key: str = DEFAULT_KEY) -> bool:
    """Whether anything answers HTTP at ``url`` (any status: the server is up)."""
    request = urllib.request.Request(url, headers={"x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


class MockServer:
    """``audioshake-mock serve ARGS`` from ``venv`` in the background: ready once
    ``GET /models`` answers, stopped with SIGTERM."""

    def __init__(self, venv: Venv, args: Sequence[str], *, port: int, cwd: Path) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"mock-{port}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [str(venv.bin / "audioshake-mock"), "serve", *args],
                cwd=cwd,
                env=venv.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + STARTUP_S
        while not answers(f"{self.base_url}/models"):
            if self.proc.poll() is not None:
                raise AssertionError(f"audioshake-mock serve {args} exited: {self.output()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"the mock did not answer within {STARTUP_S} s")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_S)
                raise AssertionError(f"the mock ignored SIGTERM for {STOP_S} s") from None
        return self.proc.returncode


@pytest.fixture(scope="session")
def served_mock(mock_venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The mock as a user serves it, for snippets aimed at the real API: a real clock
    ``SPEED`` times faster than the wall, so targets end within a poll or two. It takes
    only ``DEFAULT_KEY``, as the service takes only real keys (a snippet that sends its
    key wrongly, say as ``Bearer KEY``, gets a 401 as it would from the service)."""
    port = free_port()
    args = ["--port", str(port), "--clock", "real", "--speed", str(SPEED)]
    args += ["--api-key", DEFAULT_KEY]
    server = MockServer(mock_venv, args, port=port, cwd=tmp_path_factory.mktemp("served"))
    yield server
    server.stop()
