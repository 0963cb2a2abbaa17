"""README.md is a test, and so is every page of the documentation (``docs/**/*.md``):
every fenced code block either runs, as a user would copy and paste it against the
installed wheel, or says why it does not.

The one convention, visible in the README itself:

- A block whose **first line** is ``# not run: <reason>`` is not run (the test is
  skipped, showing the reason). ``sh`` and ``python`` both read it as a comment.
- In a ``sh`` block, a single **line** ending in ``# not run: <reason>`` is not run;
  the other lines are.
- Any other block must be runnable here, or the test fails: a new README block has to
  be handled (run, or marked with its reason).
- In ``docs/``, a block made only of ``--8<-- "examples/..."`` lines (a file of
  ``examples/`` included by pymdownx.snippets) is not run here: ``test_examples.py``
  runs every file of ``examples/``. An included file from anywhere else fails.

How blocks run (each in a fresh working directory outside the checkout):

- ``python``: verbatim. A block defining ``def test_...`` is written to
  ``test_readme_snippet.py`` in an empty project and run with the ``mock_venv``'s
  pytest (the plugin comes from the wheel's entry point); every test in it must pass.
  Any other block runs with ``python`` in ``base_venv`` (``mock_venv`` if it imports
  ``mock_server``), with ``AUDIOSHAKE_API_KEY`` and ``AUDIOSHAKE_BASE_URL`` pointing at
  a served mock (``audioshake-mock serve --clock real --speed 100 --api-key readme-key``:
  it takes that key only, as the service takes only real keys).
- ``sh`` (``console``: its ``$ `` lines): each line is a command run through bash, in
  ``mock_venv`` when it is ``audioshake-mock``/``pytest`` or names ``mock_server``, else
  in ``base_venv`` (the facade's CLI must work without the extras).
  ``export NAME=VALUE`` sets the environment of the later lines.
  ``audioshake-mock serve ... [&]`` starts the mock in the background on a free port
  (the block's port, e.g. 8000, is rewritten wherever the block names it), waits until
  ``GET /models`` answers, and stops it with SIGTERM after the block's last line.
  ``make demo`` runs in a fresh ``git clone`` of this repository (its own
  ``make setup`` included), once per session. Any other ``make`` target, and
  ``pip install`` from an index (the package is not published; this test installs the
  built wheel with the same extras instead), must be marked.
- A file the block names, such as ``song.wav``, is synthesised (a few seconds of sine,
  with the stdlib ``wave`` module) in the working directory first.
"""

from __future__ import annotations

import math
import re
import shlex
import struct
import subprocess
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DEFAULT_KEY, ROOT, MockServer, Venv, clean_env, free_port, run

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
SH = {"sh", "bash", "shell", "console"}
PY = {"python", "py"}
FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
NOT_RUN = re.compile(r"^#\s*not run:\s*(\S.*)$")
LINE_NOT_RUN = re.compile(r"(?:^|\s)#\s*not run:\s*(\S.*)$")
NOT_RUN_WITHOUT_REASON = re.compile(r"#\s*not run\b(?!:\s*\S)")
SNIPPET = re.compile(r'^--8<--\s+"([^"]+)"$')
TEST_DEF = re.compile(r"^(?:async\s+)?def\s+test_\w*\(", re.MULTILINE)
WAV = re.compile(r"(?<![\w/.-])([\w-]+\.wav)\b")
MOCK_COMMANDS = {"audioshake-mock", "pytest"}
SNIPPET_TIMEOUT_S = 60.0  # each snippet takes seconds; a hang fails fast
DEMO_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    id: str  # the section's heading as a slug, and the block's number in it: install-2
    doc: str = "README.md"  # the file, from the repository's root

    @property
    def not_run(self) -> str | None:
        first = self.text.lstrip("\n").split("\n", 1)[0].strip()
        m = NOT_RUN.match(first)
        return m.group(1).strip() if m else None

    @property
    def included(self) -> list[str]:
        """The files a block of snippet lines only includes (else empty)."""
        lines = [line.strip() for line in self.text.split("\n") if line.strip()]
        found = [m.group(1) for line in lines if (m := SNIPPET.match(line))]
        return found if found and len(found) == len(lines) else []


def parse_blocks(text: str, doc: str = "README.md") -> list[Block]:
    blocks: list[Block] = []
    lines = text.split("\n")
    section, count = "top", 0
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if lines[i].startswith("#"):
                section = re.sub(r"[^a-z0-9]+", "-", lines[i].lstrip("#").lower()).strip("-")
                count = 0
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"{doc} line {start + 1}: code block never closed"
        count += 1
        block_id = f"{section}-{count}"
        if doc != "README.md":  # README ids stay as they were: docs-billing-worked-examples-1
            block_id = (
                "docs-"
                + re.sub(r"[^a-z0-9]+", "-", doc[len("docs/") : -len(".md")])
                + "-"
                + block_id
            )
        text = "\n".join(body) + "\n"
        blocks.append(Block(start + 1, m.group(1).lower(), text, block_id, doc))
        i += 1
    return blocks


README_BLOCKS = parse_blocks(README.read_text(encoding="utf-8"))
BLOCKS = README_BLOCKS + [
    b
    for page in DOCS
    for b in parse_blocks(page.read_text(encoding="utf-8"), page.relative_to(ROOT).as_posix())
]


# -- inputs -----------------------------------------------------------------------------


def write_wav(path: Path, seconds: float = 3.0, rate: int = 44100) -> Path:
    """A stereo 16-bit sine (440 Hz left, 660 Hz right): a stand-in for a user's song."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        t = n / rate
        left = int(12000 * math.sin(2 * math.pi * 440 * t))
        right = int(12000 * math.sin(2 * math.pi * 660 * t))
        frames += struct.pack("<hh", left, right)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def provide_inputs(block: Block, work: Path) -> None:
    for name in sorted(set(WAV.findall(block.text))):
        if not (work / name).exists():
            write_wav(work / name)


# -- python -----------------------------------------------------------------------------


def run_python(block: Block, request: pytest.FixtureRequest, work: Path) -> None:
    provide_inputs(block, work)
    if TEST_DEF.search(block.text):
        venv: Venv = request.getfixturevalue("mock_venv")
        (work / "test_readme_snippet.py").write_text(block.text, encoding="utf-8")
        done = venv.run(
            ["pytest", "-q", "test_readme_snippet.py"],
            cwd=work,
            timeout=SNIPPET_TIMEOUT_S,
            check=False,
        )
        report = f"{block.doc} line {block.line}: pytest exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        wanted = len(TEST_DEF.findall(block.text))
        assert done.returncode == 0, report
        assert re.search(rf"\b{wanted} passed\b", done.stdout), report
        assert not re.search(r"\b(failed|error|errors|skipped|xfailed|xpassed)\b", done.stdout), (
            report
        )
        return
    name = "mock_venv" if "mock_server" in block.text else "base_venv"
    venv = request.getfixturevalue(name)
    server: MockServer = request.getfixturevalue("served_mock")
    (work / "snippet.py").write_text(block.text, encoding="utf-8")
    env = {"AUDIOSHAKE_API_KEY": DEFAULT_KEY, "AUDIOSHAKE_BASE_URL": server.base_url}
    done = venv.run(["python", "snippet.py"], cwd=work, extra_env=env, timeout=SNIPPET_TIMEOUT_S)
    print(done.stdout)


# -- sh ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    not_run: str | None


def commands(block: Block) -> Iterator[Command]:
    """The block's commands: continuation lines joined, blank and comment lines
    dropped; for ``console`` only the ``$ `` lines."""
    pending: list[str] = []
    for offset, raw in enumerate(block.text.split("\n"), start=1):
        line = raw.rstrip()
        if block.lang == "console" and not pending:
            if not line.startswith("$ "):
                continue
            line = line[2:]
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        text = " ".join([*pending, line]).strip()
        pending = []
        if not text or text.startswith("#"):
            continue
        assert not NOT_RUN_WITHOUT_REASON.search(text), (
            f"{block.doc} line {block.line + offset}: '# not run' needs a reason: {text!r}"
        )
        m = LINE_NOT_RUN.search(text)
        yield Command(block.line + offset, text, m.group(1).strip() if m else None)


def _words(cmd: Command) -> list[str]:
    words = shlex.split(cmd.text, comments=True)
    assert words, f"README line {cmd.line}: nothing to run in {cmd.text!r}"
    return words


def _is_pip_install(words: list[str]) -> bool:
    if words[:2] == ["pip", "install"] or words[:2] == ["pip3", "install"]:
        return True
    return len(words) > 3 and words[1:4] == ["-m", "pip", "install"]


def _readme_port(block: Block) -> int | None:
    m = re.search(r"audioshake-mock serve\b[^\n]*--port[ =](\d+)", block.text)
    return int(m.group(1)) if m else None


def _rewrite_port(text: str, old: int | None, new: int) -> str:
    if old is None:
        return text
    text = re.sub(rf"(--port[ =]){old}\b", rf"\g<1>{new}", text)
    return re.sub(rf"\b(127\.0\.0\.1|localhost):{old}\b", rf"\g<1>:{new}", text)


def run_sh(block: Block, request: pytest.FixtureRequest, work: Path) -> None:
    provide_inputs(block, work)
    readme_port, port = _readme_port(block), free_port()
    env: dict[str, str] = {}
    servers: list[MockServer] = []
    try:
        for cmd in commands(block):
            where = f"{block.doc} line {cmd.line}: {cmd.text!r}"
            if cmd.not_run is not None:
                print(f"{where}: not run: {cmd.not_run}")
                continue
            text = _rewrite_port(cmd.text, readme_port, port)
            words = shlex.split(text, comments=True)
            if words[-1] == "&":
                words = words[:-1]
            elif words[-1].endswith("&"):
                words[-1] = words[-1][:-1]
            if _is_pip_install(words):
                pytest.fail(
                    f"{where}: pip install from an index cannot run here (not published); "
                    "mark it '# not run: <reason>' (this test installs the built wheel)"
                )
            elif words[0] == "export":
                for assignment in words[1:]:
                    name, sep, value = assignment.partition("=")
                    assert sep, f"{where}: export NAME=VALUE only"
                    env[name] = value
            elif words[:2] == ["make", "demo"]:
                print(request.getfixturevalue("fresh_clone_demo"))
            elif words[0] == "make":
                pytest.fail(f"{where}: only 'make demo' runs here; mark this line")
            elif words[:2] == ["audioshake-mock", "serve"]:
                assert not servers, f"{where}: one served mock per block"
                args = words[2:] if "--port" in text else [*words[2:], "--port", str(port)]
                mock: Venv = request.getfixturevalue("mock_venv")
                servers.append(MockServer(mock, args, port=port, cwd=work))
            else:
                venv_name = (
                    "mock_venv"
                    if words[0] in MOCK_COMMANDS or "mock_server" in text
                    else "base_venv"
                )
                venv: Venv = request.getfixturevalue(venv_name)
                done = venv.run(text, cwd=work, extra_env=env, timeout=SNIPPET_TIMEOUT_S)
                print(f"$ {cmd.text}\n{done.stdout}{done.stderr}")
    finally:
        codes = [(server, server.stop()) for server in servers]
    for server, code in codes:
        assert code == 0, f"audioshake-mock serve exited {code}:\n{server.output()}"


@pytest.fixture(scope="session")
def fresh_clone_demo(fresh_clone: Path) -> str:
    """``make demo`` in a fresh clone of this repository, as a new developer runs it
    (its ``make setup`` ran in the background with the venvs). Returns its output."""
    t0 = time.monotonic()
    done = run(["make", "demo"], cwd=fresh_clone, env=clean_env(None), timeout=DEMO_TIMEOUT_S)
    print(f"installed: make demo (after make setup) in {time.monotonic() - t0:.1f} s")
    assert re.search(r"ledger: charged [\d.]+ credits, matches the estimate", done.stdout), (
        done.stdout
    )
    assert "mock: stopped" in done.stdout, done.stdout
    return done.stdout


# -- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    where = f"{block.doc} line {block.line}"
    if block.not_run is not None:
        pytest.skip(f"{where}: not run: {block.not_run}")
    if block.included and block.doc != "README.md":
        others = [f for f in block.included if not f.startswith("examples/")]
        assert not others, f"{where}: includes {others}, which no test runs (only examples/)"
        pytest.skip(f"{where}: includes {block.included}: run by test_examples.py")
    first = block.text.lstrip("\n").split("\n", 1)[0]
    assert not NOT_RUN_WITHOUT_REASON.search(first), f"{where}: '# not run' needs a reason"
    if block.lang in PY:
        run_python(block, request, tmp_path)
    elif block.lang in SH:
        run_sh(block, request, tmp_path)
    else:
        pytest.fail(
            f"{where}: a ```{block.lang} block is neither run by this test "
            "nor marked '# not run: <reason>' on its first line"
        )


def test_readme_has_blocks_to_run() -> None:
    """The parser sees the README's blocks (a broken fence would hide them all)."""
    langs = {b.lang for b in README_BLOCKS if b.not_run is None}
    assert {"sh", "python"} <= langs, [b.id for b in README_BLOCKS]
    pages = {b.doc for b in BLOCKS if b.doc != "README.md" and b.not_run is None and not b.included}
    assert len(pages) >= 5, pages  # the guides' blocks are seen too


# Files the README names: a link target, or a `code span` that is a path.
LINK = re.compile(r"\]\(([^)\s]+)\)")
SPAN = re.compile(r"`([^`\s]+)`")
FILE_SUFFIXES = {".md", ".py", ".yaml", ".yml", ".json", ".toml", ".jinja", ".cfg", ".txt"}


def _repo_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def _ignored(path: str) -> bool:
    """Whether git ignores ``path`` (as a file or as a folder): something ``make`` makes."""
    return any(
        subprocess.run(["git", "check-ignore", "-q", p], cwd=ROOT, check=False).returncode == 0
        for p in (path, path.rstrip("/") + "/")
    )


def test_readme_names_only_files_that_exist() -> None:
    """Every link is a URL or a path in the repository, and so is every `code span`
    that names a repository path (``dir/...`` under a top-level entry, or a file name
    with a source suffix, which may sit anywhere). Paths that git ignores (made by
    ``make``) are exempt."""
    text = README.read_text(encoding="utf-8")
    files = _repo_files()
    names = {Path(f).name for f in files}
    top = {f.split("/", 1)[0] for f in files}
    missing: list[str] = []
    for target in LINK.findall(text):
        if re.match(r"^(https?|mailto):", target) or target.startswith("#"):
            continue
        if not (ROOT / target.split("#", 1)[0]).exists():
            missing.append(f"link {target}")
    for span in SPAN.findall(text):
        if "://" in span or not re.fullmatch(r"[\w.*/-]+", span):
            continue
        path = span.rstrip("/")
        if "/" in path:
            if path.split("/", 1)[0] not in top:
                continue  # relative to a folder the text names (`unit/kit/`)
            exists = any(ROOT.glob(path))
        elif Path(path).suffix in FILE_SUFFIXES:
            exists = path in names
        else:
            continue
        if not exists and not _ignored(span):
            missing.append(span)
    assert not missing, f"README.md names what is not in the repository: {missing}"
