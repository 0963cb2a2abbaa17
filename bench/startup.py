"""The kit as a user installs it: footprint and start-up from the wheel, in fresh venvs.

Builds the wheel from a copy of the working tree (tracked and untracked, not ignored,
files: what is checked out now, without the checkout's stale ``build/``), then, in a
temporary directory outside the checkout, two fresh venvs (``python -m venv``):

- **base**: ``pip install WHEEL`` (no extras): footprint, import time, ``--help``;
- **mock**: ``pip install 'WHEEL[mock]'`` (footprint, info), then ``pytest``: the pytest
  plugin's cost, the ``audioshake_mock`` fixture, an in-process ``GET /tasks/{id}``.

Every command runs with the venv's own executables, from an empty directory outside the
checkout, in a minimal environment (no ``PYTHONPATH``), so nothing of the source tree is
imported. Two commands compared with each other run interleaved (A B, B A, ...), and the
ratio of their medians is shown with a bootstrap 95 % interval over the runs.

    .venv/bin/python -m bench.startup [--quick] [--keep] [--ref COMMIT]

Exits non-zero only when the bench itself fails (build, install, its own scripts); a
measured command that fails (e.g. ``audioshake --help`` raising) is a NOT MET row.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import ROOT, Report, log

HERE = Path(__file__).resolve().parent / "_startup"
MB = 1_000_000  # footprints in MB of 10^6 bytes (apparent file sizes)

FOOTPRINT_GOAL_MB = 40.0
IMPORT_GOAL = 1.3  # x `import httpx`
HELP_GOAL = 1.5  # x a two-command Typer app's --help
PLUGIN_GOAL = 1.05  # pytest with the plugin / without
FIXTURE_GOAL_MS = 2.0  # setup + teardown of audioshake_mock, per test
GET_GOAL_MS = 1.0  # in-process GET /tasks/{id}, responses validated

PYTEST_SPEC = "pytest>=9.2,<10"  # as in the [dev] extra
TYPED = ("audioshake_kit/py.typed", "audioshake_client/py.typed", "mock_server/py.typed")


class BenchError(RuntimeError):
    """The bench could not measure (build, install, its own scripts): exit non-zero."""


class MeasuredFailure(RuntimeError):
    """A measured command failed: the goal is NOT MET, the bench goes on."""


@dataclass
class Row:
    what: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    ok: bool | None = None  # None: information, no goal


@dataclass
class Venv:
    path: Path
    footprint: int = 0  # bytes added to site-packages by the install
    top: list[tuple[str, int]] = field(default_factory=list)  # largest distributions added

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> str:
        return str(self.bin / "python")


# -- running things ------------------------------------------------------------------------


def _run(argv: Sequence[str], what: str, timeout: float = 900, **kw: Any) -> str:
    """Run a step of the bench itself; its failure is a bench error."""
    try:
        out = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kw
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what}: no end after {timeout:g} s") from exc
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-25:])
        raise BenchError(f"{what} failed (exit {out.returncode}):\n{tail}")
    return str(out.stdout)


def clean_env(venv: Venv, tmp: Path, **extra: str) -> dict[str, str]:
    """What a measured command sees: the venv's bin first, no PYTHONPATH, no project
    variables; the same for a command and its baseline."""
    env = {
        "PATH": f"{venv.bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": str(tmp),
        "COLUMNS": "100",
    }
    env.update(extra)
    return env


Sample = tuple[float, float]  # wall seconds, CPU seconds (user + system) of one run


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> Sample:
    """Wall seconds of one run (start to exit) and the CPU seconds it used (its rusage,
    less sensitive to other load on the machine); MeasuredFailure if it fails."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MeasuredFailure(f"no end after {timeout:g} s") from exc
    spent = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        lines = out.stderr.decode(errors="replace").strip().splitlines()
        raise MeasuredFailure(f"exit {out.returncode}: {lines[-1] if lines else 'no output'}")
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return spent, cpu


def interleaved(
    a: Callable[[], Sample],
    b: Callable[[], Sample],
    *,
    pairs: int,
    max_pairs: int | None = None,
    budget_s: float = 0.0,
    decided: Callable[[list[float], list[float]], bool] | None = None,
) -> tuple[list[Sample], list[Sample]]:
    """One warm-up of each, then pairs in alternating order (A B, B A, ...) so that drift
    in the machine's speed falls on both. With ``max_pairs``, more pairs are run while
    ``decided`` says no, up to ``max_pairs`` or ``budget_s`` seconds."""
    a()
    b()
    xs: list[Sample] = []
    ys: list[Sample] = []
    t_end = time.monotonic() + budget_s
    i = 0
    while True:
        if i % 2 == 0:
            xs.append(a())
            ys.append(b())
        else:
            ys.append(b())
            xs.append(a())
        i += 1
        if i < pairs:
            continue
        if max_pairs is None or decided is None or i >= max_pairs:
            break
        if decided([x[0] for x in xs], [y[0] for y in ys]) or time.monotonic() > t_end:
            break
    return xs, ys


def ratio_ci(xs: list[float], ys: list[float], n: int = 2000) -> tuple[float, float, float]:
    """median(xs) / median(ys) and its 95 % bootstrap interval (pairs resampled)."""
    rng = random.Random(0)
    k = len(xs)
    stats = []
    for _ in range(n):
        idx = [rng.randrange(k) for _ in range(k)]
        stats.append(statistics.median(xs[j] for j in idx) / statistics.median(ys[j] for j in idx))
    stats.sort()
    return (
        statistics.median(xs) / statistics.median(ys),
        stats[int(0.025 * n)],
        stats[int(0.975 * n) - 1],
    )


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# -- the wheel -----------------------------------------------------------------------------


def copy_worktree(dst: Path) -> None:
    """Tracked and untracked-but-not-ignored files of the checkout, symlinks kept as
    symlinks (the wheel must turn audioshake_kit/data's links into files itself)."""
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        "git ls-files",
        cwd=ROOT,
    )
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if not src.is_symlink() and not src.exists():
            continue  # deleted in the working tree
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)


def export_ref(ref: str, dst: Path) -> None:
    """The tree of commit ``ref`` (git archive), symlinks kept."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=False
    )
    if data.returncode != 0:
        raise BenchError(f"git archive {ref}: {data.stderr.decode().strip()}")
    dst.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data.stdout)) as tar:
        tar.extractall(dst, filter="data")


def describe_source(ref: str | None) -> str:
    if ref is not None:
        sha = _run(["git", "rev-parse", "--short", ref], "git rev-parse", cwd=ROOT).strip()
        return f"commit {ref} ({sha})"
    sha = _run(["git", "rev-parse", "--short", "HEAD"], "git rev-parse", cwd=ROOT).strip()
    changed = _run(["git", "status", "--porcelain"], "git status", cwd=ROOT).splitlines()
    return f"working tree: HEAD {sha} + {len(changed)} uncommitted paths"


def build_wheel(tmp: Path, ref: str | None) -> Path:
    src, out = tmp / "src", tmp / "dist"
    if ref is None:
        copy_worktree(src)
    else:
        export_ref(ref, src)
    log("startup: building the wheel (python -m build --wheel, isolated)")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)], "build")
    (whl,) = out.glob("audioshake_kit-*.whl")
    return whl


def check_wheel(whl: Path, src: Path) -> Row:
    """py.typed of the three packages, and each file of audioshake_kit/data (symlinks
    into openapi/ in the source tree) in the wheel as a real file with the same bytes."""
    problems = []
    data_files = sorted(p.name for p in (src / "audioshake_kit" / "data").iterdir())
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        problems += [f"no {n}" for n in TYPED if n not in names]
        for f in data_files:
            name = f"audioshake_kit/data/{f}"
            if name not in names:
                problems.append(f"no {name}")
                continue
            mode = z.getinfo(name).external_attr >> 16
            if (mode & 0o170000) == 0o120000:
                problems.append(f"{name} is a symlink")
            elif z.read(name) != (src / "audioshake_kit" / "data" / f).read_bytes():
                problems.append(f"{name} differs from the source")
    size = whl.stat().st_size
    return Row(
        "wheel: 3 x py.typed, data files as real files",
        f"ok: {len(TYPED)} py.typed, {len(data_files)} data files ({size / MB:.2f} MB wheel)"
        if not problems
        else "; ".join(problems),
        goal="all present",
        ok=not problems,
    )


def baseline_wheel(out: Path) -> Path:
    """bench/_startup/baseline_cli.py as a wheel with the console script
    ``bench-baseline-cli``: pip then writes its launcher as it wrote ``audioshake``'s."""
    name, version = "bench_startup_baseline", "1.0"
    info = f"{name}-{version}.dist-info"
    files = {
        "baseline_cli.py": (HERE / "baseline_cli.py").read_bytes(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: bench-startup-baseline\nVersion: {version}\n"
            "Requires-Dist: typer\n"
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: bench.startup\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": b"[console_scripts]\nbench-baseline-cli = baseline_cli:app\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    whl = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
    return whl


# -- venvs and footprints ------------------------------------------------------------------


def site_packages(venv: Venv) -> Path:
    (site,) = venv.path.glob("lib/python*/site-packages")
    return site


def tree_bytes(root: Path) -> int:
    """Apparent size of the regular files under ``root`` (links not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                total += os.lstat(p).st_size
    return total


def dist_sizes(site: Path, skip: set[str]) -> list[tuple[str, int]]:
    """Bytes per installed distribution (the files its RECORD lists inside site-packages,
    the .pyc pip compiled included), largest first, ``skip`` (dist-info dirs) left out."""
    sizes = []
    site = site.resolve()
    for info in site.glob("*.dist-info"):
        if info.name in skip or not (info / "RECORD").exists():
            continue
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        total = 0
        with open(info / "RECORD", newline="") as fh:
            for row in csv.reader(fh):
                if not row:
                    continue
                p = (site / row[0]).resolve()
                if p.is_relative_to(site) and p.is_file():
                    total += p.stat().st_size
        sizes.append((name, total))
    return sorted(sizes, key=lambda x: -x[1])


def make_venv(path: Path, install: list[str], then: list[str] | None = None) -> Venv:
    """A fresh venv; ``install`` is measured (site-packages after minus before), ``then``
    is installed afterwards, unmeasured."""
    log(f"startup: venv {path.name}: pip install {' '.join(Path(s).name for s in install)}")
    base_python = getattr(sys, "_base_executable", sys.executable)
    _run([base_python, "-m", "venv", str(path)], f"venv {path.name}", timeout=300)
    venv = Venv(path)
    site = site_packages(venv)
    before_infos = {p.name for p in site.glob("*.dist-info")}
    before = tree_bytes(site)
    pip = [venv.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, *install], f"pip install into {path.name}")
    venv.footprint = tree_bytes(site) - before
    venv.top = dist_sizes(site, before_infos)
    if then:
        _run([*pip, *then], f"pip install {' '.join(then)} into {path.name}")
    return venv


def check_installed(venv: Venv, modules: Sequence[str], tmp: Path) -> None:
    """The modules come from the venv's site-packages, not from the checkout."""
    code = "import importlib, sys; print('\\n'.join(importlib.import_module(m).__file__ for m in sys.argv[1:]))"
    out = _run(
        [venv.python, "-c", code, *modules],
        f"import check in {venv.path.name}",
        cwd=tmp,
        env=clean_env(venv, tmp),
    )
    site = str(site_packages(venv))
    for m, f in zip(modules, out.split(), strict=True):
        if not f.startswith(site):
            raise BenchError(f"{m} imports from {f}, not from {site}")


# -- the goals -----------------------------------------------------------------------------


def footprint_rows(base: Venv, mock: Venv) -> tuple[list[Row], list[str]]:
    fig = base.footprint / MB
    rows = [
        Row(
            "base install footprint (no extras)",
            f"{fig:.1f} MB",
            goal=f"<= {FOOTPRINT_GOAL_MB:g} MB",
            ok=fig <= FOOTPRINT_GOAL_MB,
        ),
        Row("[mock] install footprint (info)", f"{mock.footprint / MB:.1f} MB"),
    ]
    notes = [
        "footprint: what pip install adds to a fresh venv's site-packages (after minus "
        "before; apparent file sizes, the .pyc pip compiles included; MB = 10^6 bytes)",
        f"largest of the base install (MB): {_top(base)}",
        f"largest of the [mock] install (MB): {_top(mock)}",
    ]
    return rows, notes


def _top(v: Venv) -> str:
    return ", ".join(f"{n} {s / MB:.1f}" for n, s in v.top[:5])


def compare(
    what: str,
    a: Callable[[], Sample],
    b: Callable[[], Sample],
    *,
    goal: float,
    baseline: str,
    runs: tuple[int, int, float],
) -> Row:
    """Median of A over median of B, ``runs`` = (pairs, most pairs, seconds): past the
    first ``pairs``, more are run while the 95 % interval of the ratio still straddles
    the goal (noise would decide), up to ``most`` pairs or the time budget."""

    def decided(xs: list[float], ys: list[float]) -> bool:
        _, lo, hi = ratio_ci(xs, ys, n=500)
        return hi <= goal or lo > goal

    pairs, most, budget = runs
    log(f"startup: {what}: {pairs}..{most} interleaved pairs vs {baseline}")
    try:
        a_runs, b_runs = interleaved(
            a, b, pairs=pairs, max_pairs=most, budget_s=budget, decided=decided
        )
    except MeasuredFailure as exc:
        return failed_row(what, f"<= {goal:g}x", exc)
    xs, ys = [x[0] for x in a_runs], [y[0] for y in b_runs]
    r, lo, hi = ratio_ci(xs, ys)
    mx, my = statistics.median(xs), statistics.median(ys)
    cpu = statistics.median(x[1] for x in a_runs) / statistics.median(y[1] for y in b_runs)
    return Row(
        what,
        f"{mx * 1000:.0f} ms",
        f"{my * 1000:.0f} ms: {baseline}",
        f"{r:.2f} [{lo:.2f}-{hi:.2f}] n={len(xs)}"
        + (" undecided" if lo <= goal < hi else "")
        + f"; CPU {cpu:.2f}",
        f"<= {goal:g}x",
        r <= goal,
    )


def failed_row(what: str, goal: str, exc: MeasuredFailure) -> Row:
    return Row(what, f"fails: {exc}"[:140], goal=goal, ok=False)


def import_row(base: Venv, tmp: Path, cwd: Path, runs: tuple[int, int, float]) -> Row:
    env = clean_env(base, tmp)
    return compare(
        "python -c 'from audioshake_kit import AudioShake'",
        lambda: timed([base.python, "-c", "from audioshake_kit import AudioShake"], cwd, env),
        lambda: timed([base.python, "-c", "import httpx"], cwd, env),
        goal=IMPORT_GOAL,
        baseline="python -c 'import httpx'",
        runs=runs,
    )


def help_row(base: Venv, tmp: Path, cwd: Path, runs: tuple[int, int, float]) -> Row:
    env = clean_env(base, tmp)
    return compare(
        "audioshake --help",
        lambda: timed([str(base.bin / "audioshake"), "--help"], cwd, env),
        lambda: timed([str(base.bin / "bench-baseline-cli"), "--help"], cwd, env),
        goal=HELP_GOAL,
        baseline="2-command Typer app --help",
        runs=runs,
    )


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")  # rootdir here, no config from above
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def check_plugin_switch(pytest: str, proj: Path, env: dict[str, str]) -> None:
    """``pytest`` loads mock_server.pytest_plugin and ``-p no:audioshake_mock`` does not:
    otherwise the comparison compares nothing."""
    for args, want in (([], True), (["-p", "no:audioshake_mock"], False)):
        out = subprocess.run(
            [pytest, "--trace-config", "--co", "-q", *args],
            cwd=proj,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        loaded = "mock_server.pytest_plugin" in out.stdout
        if out.returncode != 0 or loaded != want:
            raise BenchError(
                f"pytest {' '.join(args)}: plugin loaded={loaded}, expected {want} "
                f"(exit {out.returncode}): {out.stdout[-500:]}{out.stderr[-500:]}"
            )


def plugin_row(mock: Venv, tmp: Path, quick: bool) -> Row:
    """A user's project whose tests never use the mock: does the plugin slow pytest?"""
    what = "pytest -q, 20 plain test files: plugin on/off"
    proj = write_project(
        tmp / "plain-project",
        {
            f"test_m{i:02d}.py": f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n"
            for i in range(20)
        },
    )
    env = clean_env(mock, tmp)
    pytest = str(mock.bin / "pytest")
    check_plugin_switch(pytest, proj, env)

    return compare(
        what,
        lambda: timed([pytest, "-q"], proj, env),
        lambda: timed([pytest, "-q", "-p", "no:audioshake_mock"], proj, env),
        goal=PLUGIN_GOAL,
        baseline="-p no:audioshake_mock",
        runs=(5, 10, 30.0) if quick else (20, 50, 90.0),
    )


def fixture_row(mock: Venv, tmp: Path, tests: int) -> Row:
    what = f"audioshake_mock setup+teardown per test, n={tests}"
    body = "".join(f"\n\ndef test_{i}(audioshake_mock):\n    pass\n" for i in range(tests))
    proj = write_project(
        tmp / "fixture-project",
        {
            "conftest.py": (HERE / "fixture_timing.py").read_text(),
            "test_fixture.py": '"""Tests that only request the fixture."""' + body,
        },
    )
    out = tmp / "fixture-times.json"
    env = clean_env(mock, tmp, BENCH_FIXTURE_TIMES=str(out))
    log(f"startup: audioshake_mock fixture, {tests} tests")
    try:
        timed([str(mock.bin / "pytest"), "-q", "-p", "no:cacheprovider"], proj, env, timeout=600)
    except MeasuredFailure as exc:
        return failed_row(what, f"<= {FIXTURE_GOAL_MS:g} ms", exc)
    times = json.loads(out.read_text())
    if len(times) != tests:
        raise BenchError(f"fixture bench: {len(times)} tests reported, not {tests}")
    per_test = [(t["setup"] + t["teardown"]) * 1000 for t in times.values()]
    first = per_test[0]
    med = statistics.median(per_test)
    return Row(
        what,
        f"{med:.2f} ms",
        f"p90 {pct(per_test, 0.9):.2f} ms; 1st test {first:.0f} ms",
        "",
        f"<= {FIXTURE_GOAL_MS:g} ms",
        med <= FIXTURE_GOAL_MS,
    )


def get_rows(mock: Venv, tmp: Path, cwd: Path, calls: int, model_calls: int) -> list[Row]:
    what = f"in-process GET /tasks/{{id}}, validated, n={calls}"
    log(f"startup: in-process GET /tasks/{{id}}, {calls} calls")
    out = subprocess.run(
        [mock.python, str(HERE / "inproc_get.py"), str(calls), str(model_calls)],
        cwd=cwd,
        env=clean_env(mock, tmp),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        exc = MeasuredFailure(f"exit {out.returncode}: {lines[-1] if lines else ''}")
        return [failed_row(what, f"<= {GET_GOAL_MS:g} ms", exc)]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if not r["validate_responses"]:
        raise BenchError("InProcessMock() no longer validates responses by default")
    task = [x * 1000 for x in r["task"]]
    models = [x * 1000 for x in r["models"]]
    med = statistics.median(task)
    return [
        Row(
            what,
            f"{med:.2f} ms",
            f"p90 {pct(task, 0.9):.2f} ms ({r['targets']} targets)",
            goal=f"<= {GET_GOAL_MS:g} ms",
            ok=med <= GET_GOAL_MS,
        ),
        Row(
            f"in-process GET /models, validated, n={len(models)}",
            f"{statistics.median(models):.2f} ms",
            f"p90 {pct(models, 0.9):.2f} ms",
        ),
    ]


# -- the run ---------------------------------------------------------------------------------


def measure(
    quick: bool = False, keep: bool = False, ref: str | None = None
) -> tuple[list[Row], list[str]]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    if tmp.resolve().is_relative_to(ROOT):
        shutil.rmtree(tmp)
        raise BenchError(f"the temp dir {tmp} is inside the checkout: set TMPDIR elsewhere")
    t0 = time.monotonic()
    try:
        source = describe_source(ref)
        whl = build_wheel(tmp, ref)
        rows = [check_wheel(whl, tmp / "src")]
        with ThreadPoolExecutor(2) as pool:
            f_base = pool.submit(make_venv, tmp / "venv-base", [str(whl)])
            f_mock = pool.submit(make_venv, tmp / "venv-mock", [f"{whl}[mock]"], [PYTEST_SPEC])
            base, mock = f_base.result(), f_mock.result()
        footprint, notes = footprint_rows(base, mock)
        rows += footprint
        # The baseline CLI goes in after the footprint was taken.
        _run(
            [base.python, "-m", "pip", "install", "--quiet", "--no-deps", str(baseline_wheel(tmp))],
            "pip install the baseline CLI",
        )
        cwd = tmp / "cwd"
        cwd.mkdir()
        check_installed(base, ["audioshake_kit", "audioshake_client", "baseline_cli"], cwd)
        check_installed(mock, ["audioshake_kit", "mock_server", "pytest"], cwd)
        runs = (5, 10, 20.0) if quick else (10, 30, 45.0)
        rows.append(import_row(base, tmp, cwd, runs))
        rows.append(help_row(base, tmp, cwd, runs))
        rows.append(plugin_row(mock, tmp, quick))
        rows.append(fixture_row(mock, tmp, 50 if quick else 200))
        rows += get_rows(mock, tmp, cwd, *((200, 50) if quick else (1000, 200)))
        notes += [
            "times: medians of wall time (start to exit for commands); ratio = median / "
            "baseline median [95% bootstrap interval], n runs each, interleaved; CPU: the "
            "same ratio of CPU time (user + system; info, less sensitive to other load)",
            "commands: the fresh venv's bin/ (python, the console scripts pip wrote: "
            "audioshake, bench-baseline-cli, pytest), cwd outside the checkout; import and "
            "--help in the base venv, pytest and the mock in the [mock] venv (+ pytest)",
        ]
        load = os.getloadavg()
        notes.append(
            f"wheel from the {source}; {time.monotonic() - t0:.0f} s"
            f"{' (quick)' if quick else ''}; {os.cpu_count()} CPUs, load average "
            f"{load[0]:.1f}/{load[1]:.1f} at the end; Python {platform.python_version()}"
        )
        if keep:
            notes.append(f"kept: {tmp} (venv-base, venv-mock, the projects)")
        return rows, notes
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def render(rows: list[Row], notes: list[str]) -> str:
    header = ("measure", "figure", "baseline", "ratio", "goal", "met")
    cells = [
        (
            r.what,
            r.figure,
            r.baseline,
            r.ratio,
            r.goal,
            "" if r.ok is None else "met" if r.ok else "NOT MET",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"

    def fmt(c: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + " |"

    goals = [r for r in rows if r.ok is not None]
    met = sum(1 for r in goals if r.ok)
    out = [line, fmt(header), line.replace("-", "="), *map(fmt, cells), line]
    return "\n".join([*out, f"{met} of {len(goals)} goals met", *notes])


def run(report: Report, quick: bool = False) -> None:
    """The rows of ``make bench`` (bench/run.py), section "S startup"."""
    rows, notes = measure(quick)
    for r in rows:
        result = r.figure
        if r.ratio:
            result += f" vs {r.baseline} = {r.ratio}"
        elif r.baseline:
            result += f"; {r.baseline}"
        report.add("S startup", r.what, result, r.goal, r.ok)
    report.notes += [f"startup: {n}" for n in notes]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer runs (development)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (venvs) for a look")
    ap.add_argument(
        "--ref", default=None, help="build from this commit (git archive), not the working tree"
    )
    a = ap.parse_args()
    try:
        rows, notes = measure(a.quick, a.keep, a.ref)
    except BenchError as exc:
        print(f"bench.startup: {exc}", file=sys.stderr)
        return 1
    print(render(rows, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
