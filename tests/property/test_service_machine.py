"""The service's rules hold for every sequence of operations hypothesis can find.

A ``RuleBasedStateMachine`` drives the facade's sync client (``AudioShake``, default
rate limiter, ``sleep`` moving mock time) against the in-process mock on a manual
clock, plus raw httpx bursts. ``service_model`` says what must be true; the invariants
check after every step:

- target independence: each target ends as its own model, input and fault rules allow,
  whatever its siblings do; a task completes exactly when its last target ends;
- expiry: an asset older than 72 h is gone (404 on use), a link older than 1 h is
  refused (403), a fresh read gives a working link while outputs exist (72 h after
  completion);
- rate limit: no key gets more than 60 answered requests in any second of mock time
  (from the request journal), a 429 only when the second is full, each 429 carries a
  ``Retry-After`` after which the request succeeds, and the facade never lets one through;
- billing: the ledger equals ``estimate()``, errored targets cost 0, ``Task.cost`` is the
  sum, statistics equal the ledger;
- every JSON answer (the facade's included) matches the spec (the mock checks each in
  test mode) and round-trips through the generated models without loss
  (``tests.support.responses``).

Invariants look through the admin API and the mock's own serializer, never over HTTP, so
they neither spend the rate limit nor move anything. ``AUDIOSHAKE_TEST_PROFILE=deep``
runs many more and longer sequences.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from audioshake_client.models import OutputItem, Target, Task
from audioshake_client.types import Unset
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RULE_MARKER,
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from audioshake_kit.domain.billing import billable_minutes
from audioshake_kit.domain.rules import effective_variant
from audioshake_kit.errors import (
    APIStatusError,
    LinkExpiredError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mock_server.clock import format_time
from mock_server.harness import InProcessMock
from mock_server.serialize import task_json
from mock_server.synth import synth_media
from tests.support.responses import ResponseLog

from .service_model import (
    ASSET_TTL_S,
    CATALOG,
    LINK_TTL_S,
    FaultRule,
    ModelAsset,
    ModelTarget,
    ModelTask,
    RateWindow,
    expected_cost,
    expected_outcome,
    free,
    max_processing_s,
    output_names,
)

DEEP = os.environ.get("AUDIOSHAKE_TEST_PROFILE") == "deep"
EXAMPLES, STEPS = (500, 60) if DEEP else (100, 40)

KEY, OTHER = "prop-key", "other-key"
HOUR, DAY = 3600.0, 86400.0
SHORT_S = 10.0  # inputs up to this long are downloaded (rendering longer ones is slow)

# -- strategies ---------------------------------------------------------------------------

MODEL_IDS = [m.id for m in CATALOG]  # gated models too: refused (403) until enabled
# Half the targets and most fault rules use a few models, so that rules meet targets
# and transcription meets alignment (billed at a combined rate) often.
FOCUS_IDS = ["vocals", "drums", "transcription", "alignment"]
GATED_IDS = [m.id for m in CATALOG if m.gated]
UPLOAD_FORMATS = ["wav", "flac", "mp3", "aiff", "m4a"]
UPLOAD_SECONDS = [1.0, 2.5]
URL_SECONDS = st.one_of(
    st.sampled_from([2.0, 60.0, 60.5, 200.0, 2701.0, 3601.0, 5401.0]),
    st.floats(1.0, 200.0).map(lambda s: round(s, 3)),
)
ADVANCES = st.one_of(
    st.sampled_from(
        [1.0, 10.0, 60.0, HOUR, HOUR + 1, DAY, ASSET_TTL_S - 1, ASSET_TTL_S, ASSET_TTL_S + 1]
    ),
    st.floats(0.001, 120.0),
    st.floats(HOUR, 4 * DAY),
)


@st.composite
def target_requests(draw: st.DrawFn) -> dict[str, Any]:
    """One valid target as the wire dict, only the keys that differ from the default."""
    model = CATALOG[draw(st.sampled_from(FOCUS_IDS) | st.sampled_from(MODEL_IDS))]
    formats = draw(
        st.lists(st.sampled_from(model.output_formats), min_size=1, max_size=2, unique=True)
    )
    target: dict[str, Any] = {"model": model.id, "formats": formats}
    if bool(model.variants) and draw(st.booleans()):
        target["variant"] = draw(st.sampled_from([v.id for v in model.variants]))
    if model.residual and draw(st.booleans()):
        target["residual"] = True
    if bool(model.supported_languages) and draw(st.booleans()):
        target["language"] = draw(st.sampled_from(model.supported_languages))
    return target


def _identity(t: dict[str, Any]) -> tuple[str, str | None]:
    return t["model"], effective_variant(CATALOG, t["model"], t.get("variant"))


FAULT_RULES = st.tuples(
    st.sampled_from(["*", *FOCUS_IDS, "music_removal"]),
    st.sampled_from([1.0, 0.0, 0.5]),
    st.sampled_from([5001, 4001, 4003]),
    st.sampled_from([KEY, None, OTHER]),
).map(lambda r: FaultRule(r[0], r[1], r[2], f"injected {r[2]}", r[3]))

_LISTS = st.lists(target_requests(), min_size=1, max_size=4, unique_by=_identity)
PAIR = ({"model": "transcription", "formats": ["json"]}, {"model": "alignment", "formats": ["srt"]})
TARGET_LISTS = _LISTS | _LISTS.map(
    lambda ts: [*PAIR, *[t for t in ts if t["model"] not in ("transcription", "alignment")][:2]]
)

MUTATIONS = [
    "unknown model",
    "format not offered",
    "repeated format",
    "variant not offered",
    "language not supported",
    "duplicate target",
    "no targets",
    "21 targets",
    "transcript on a model that takes none",
    "http source url",
]


def mutate(targets: list[dict[str, Any]], mutation: str) -> tuple[list[dict[str, Any]], str | None]:
    """Break a valid request in one way the facade must refuse before sending; returns
    the targets and, for a bad source, the URL to send instead."""
    first = dict(targets[0])
    model = CATALOG[first["model"]]
    rest = targets[1:]
    if mutation == "unknown model":
        first["model"] = "karaoke"
    elif mutation == "format not offered":
        first["formats"] = ["json" if "json" not in model.output_formats else "wav"]
    elif mutation == "repeated format":
        first["formats"] = [first["formats"][0]] * 2
    elif mutation == "variant not offered":
        first["variant"] = "ultra"
    elif mutation == "language not supported":
        first["language"] = "xx" if model.supported_languages else "en"
    elif mutation == "duplicate target":
        rest = [*rest, dict(first)]
    elif mutation == "no targets":
        return [], None
    elif mutation == "21 targets":
        return [first] * 21, None
    elif mutation == "transcript on a model that takes none":
        first = {"model": "vocals", "formats": ["wav"], "transcriptUrl": "https://t.test/l.txt"}
    elif mutation == "http source url":
        return targets, "http://media.test/song.wav"
    return [first, *rest], None


# -- references the machine hands between rules -------------------------------------------


@dataclass(frozen=True)
class UrlSource:
    url: str
    duration: float


@dataclass(frozen=True)
class LinkRef:
    task_id: str
    target_id: str
    output: str
    link: str
    signed_at: float


Source = ModelAsset | UrlSource


class MediaFiles:
    """Short real input files, made once per test run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[tuple[str, float], Path] = {}

    def get(self, fmt: str, seconds: float) -> Path:
        key = (fmt, seconds)
        if key not in self._made:
            path = self.folder / f"in-{seconds:g}.{fmt}"
            synth_media(path, seconds, fmt, seed=len(self._made))
            self._made[key] = path
        return self._made[key]


# -- the machine --------------------------------------------------------------------------


class ServiceMachine(RuleBasedStateMachine):
    sources = Bundle("sources")
    tasks = Bundle("tasks")
    links = Bundle("links")

    media: MediaFiles  # set by the test
    steps_run: Counter[str]

    def __init__(self) -> None:
        super().__init__()
        self.mock = InProcessMock(api_key=KEY).__enter__()
        self.admin = self.mock.admin
        self.responses = ResponseLog(validate=False)  # the mock validates in test mode
        self.raw = {k: self._client(k) for k in (KEY, OTHER)}
        self.http = self._client(KEY)
        self.shake = self.mock.facade(http_client=self.http, rng=random.Random(0))
        self.files = httpx.Client(transport=self.mock.transport)
        self.out = Path(tempfile.mkdtemp(prefix="machine-", dir=self.media.folder))
        self.faults: list[FaultRule] = []
        self.enabled: set[str] = set()
        self.assets: dict[str, ModelAsset] = {}
        self.model_tasks: dict[str, ModelTask] = {}
        self.windows: defaultdict[str, RateWindow] = defaultdict(RateWindow)
        self.journal_seq = 0
        self.url_count = 0

    def _client(self, key: str) -> httpx.Client:
        client = self.mock.new_client(key)
        client.event_hooks["response"].append(self.responses.hook)
        return client

    def teardown(self) -> None:
        for c in (*self.raw.values(), self.files, self.http):
            c.close()
        self.mock.__exit__(None, None, None)
        shutil.rmtree(self.out, ignore_errors=True)

    def now(self) -> float:
        return self.mock.now()

    def _count(self, name: str) -> None:
        self.steps_run[name] += 1

    def _new_requests(self) -> list[dict[str, Any]]:
        return self.admin.requests(since=self.journal_seq)

    def _answered(self, operation: str) -> dict[str, Any]:
        """The journal entry of the last answered (not 429) request of ``operation``."""
        return next(
            e
            for e in reversed(self._new_requests())
            if e["operationId"] == operation and e["status"] != 429
        )

    def _sync(self) -> None:
        """Bring the model up to date after the clock moved inside a rule."""
        self.tasks_keep_the_service_rules()

    # -- sources ------------------------------------------------------------------------

    @initialize(target=sources, fmt=st.sampled_from(UPLOAD_FORMATS))
    def first_upload(self, fmt: str) -> ModelAsset:
        return self._upload(fmt, UPLOAD_SECONDS[-1])

    @initialize(gated=st.sets(st.sampled_from(GATED_IDS)))
    def enable_gated_models(self, gated: set[str]) -> None:
        """Gated models work for the key only once enabled (403 before)."""
        self.enabled = set(gated)
        self.admin.put_key(KEY, enabled_models=sorted(gated))

    @rule(
        target=sources, fmt=st.sampled_from(UPLOAD_FORMATS), seconds=st.sampled_from(UPLOAD_SECONDS)
    )
    def upload_file(self, fmt: str, seconds: float) -> ModelAsset:
        return self._upload(fmt, seconds)

    def _upload(self, fmt: str, seconds: float) -> ModelAsset:
        self._count("upload_file")
        path = self.media.get(fmt, seconds)
        asset = self.shake.upload(path)
        assert asset.format_ == fmt
        duration = self.shake.estimate(path, "vocals").duration
        model = ModelAsset(asset.id, self._answered("uploadAsset")["time"], duration, path)
        with self.mock.state.lock:
            model.stored = self.mock.state.store.tenants[KEY].assets[asset.id].path
        self.assets[asset.id] = model
        return model

    @rule(target=sources, seconds=URL_SECONDS)
    def register_url_media(self, seconds: float) -> UrlSource:
        self._count("register_url_media")
        self.url_count += 1
        url = f"https://media.test/{self.url_count}.wav"
        self.admin.register_media(url, duration_seconds=seconds)
        return UrlSource(url, seconds)

    # -- tasks --------------------------------------------------------------------------

    @rule(target=tasks, seconds=URL_SECONDS, wanted=TARGET_LISTS)
    def create_task_on_new_url(self, seconds: float, wanted: list[dict[str, Any]]) -> Any:
        """Register URL media of ``seconds`` and run targets on it, in one step."""
        self._count("create_task_on_new_url")
        return self.create_task(self.register_url_media(seconds), wanted)

    @rule(
        target=tasks,
        source=sources,
        wanted=TARGET_LISTS,
        failing=st.integers(0, 3),
        code=st.sampled_from([5001, 4001, 4003]),
    )
    def create_task_with_a_failing_model(
        self, source: Source, wanted: list[dict[str, Any]], failing: int, code: int
    ) -> Any:
        """Create while targets of one of the task's models are made to fail: its
        siblings must end as if it were not there."""
        self._count("create_task_with_a_failing_model")
        model = wanted[failing % len(wanted)]["model"]
        self._add_fault(FaultRule(model, 1.0, code, f"injected {code}", KEY))
        try:
            return self.create_task(source, wanted)
        finally:
            self.faults.pop()
            self.admin.clear_faults()
            for fault in self.faults:
                self.admin.add_fault(**_fault_kwargs(fault))

    @rule(target=tasks, source=sources, wanted=TARGET_LISTS)
    def create_task(self, source: Source, wanted: list[dict[str, Any]]) -> Any:
        targets = wanted
        self._count("create_task")
        gated = [t["model"] for t in targets if CATALOG[t["model"]].gated]
        if isinstance(source, ModelAsset):
            estimate = self.shake.estimate(source.path, targets)
            kwargs: dict[str, str] = {"asset_id": source.id}
        else:
            estimate = self.shake.estimate(source.duration, targets)
            kwargs = {"url": source.url}
        task: Task | APIStatusError
        try:
            task = self.shake.create_task(targets, **kwargs)
        except (PermissionDeniedError, NotFoundError) as exc:
            task = exc
        # Judge by the time the service saw the request (the facade may have waited).
        sent_at = self._answered("createTask")["time"]
        if set(gated) - self.enabled:
            assert isinstance(task, PermissionDeniedError), f"gated {gated}: {task!r}"
            self._count("event: gated model refused")
            return multiple()
        if isinstance(source, ModelAsset) and not source.usable(sent_at):
            assert isinstance(task, NotFoundError), f"expired asset accepted: {task!r}"
            self._count("event: expired asset refused")
            return multiple()
        assert not isinstance(task, Exception), f"refused: {task!r}"
        now = sent_at
        assert task.completed_at is None and all(
            t.status.value == "processing" for t in task.targets
        )
        model_targets = []
        for i, (req, wire, charge) in enumerate(
            zip(targets, task.targets, estimate.lines, strict=True)
        ):
            spec = CATALOG[req["model"]]
            expected = expected_outcome(spec, estimate.duration, self.faults, KEY)
            model_targets.append(ModelTarget(i, req, expected, charge, id=wire.id))
        model = ModelTask(
            id=task.id,
            created_at=now,
            duration=estimate.duration,
            short=estimate.duration <= SHORT_S,
            estimate=estimate,
            targets=model_targets,
        )
        self.model_tasks[task.id] = model
        return model

    @rule(source=sources, wanted=TARGET_LISTS, mutation=st.sampled_from(MUTATIONS))
    def create_invalid_task(
        self, source: Source, wanted: list[dict[str, Any]], mutation: str
    ) -> None:
        self._count("create_invalid_task")
        bad, url = mutate(wanted, mutation)
        before = self.admin.requests(since=0)[-1:]
        if url is not None:
            kwargs = {"url": url}
        elif isinstance(source, ModelAsset):
            kwargs = {"asset_id": source.id}
        else:
            kwargs = {"url": source.url}
        with pytest.raises(ValidationError) as raised:
            self.shake.create_task(bad, **kwargs)
        assert raised.value.field, f"{mutation}: the error names no field: {raised.value}"
        assert self.admin.requests(since=0)[-1:] == before, f"{mutation}: a request was sent"

    @rule(target=links, task=tasks)
    def read_task(self, task: ModelTask) -> Any:
        self._count("read_task")
        got = self.shake.get_task(task.id)
        now = self.now()
        snapshot = self._snapshot(task.id)
        assert [t.status.value for t in got.targets] == [t["status"] for t in snapshot["targets"]]
        refs = [
            LinkRef(task.id, target.id, f"{out.name}.{out.format_}", out.link, now)
            for target in got.targets
            if target.status.value == "completed"
            for out in _outputs(target)
        ]
        return multiple(*refs[:2])

    @rule(task=tasks)
    def wait_for_task(self, task: ModelTask) -> None:
        self._count("wait_for_task")
        result = self.shake.wait(task.id, timeout=_wait_limit(task))
        assert all(t.status.value != "processing" for t in result.task.targets)
        completed = {t.id for t in result.task.targets if t.status.value == "completed"}
        assert {t.id for t in result.succeeded} == completed
        assert len(result.failed) == len(result.task.targets) - len(completed)
        assert result.cost == result.task.cost

    @rule(task=tasks, stale_by=st.sampled_from([None, 0.0, 3599.0, 3601.0, DAY, 3 * DAY + 1]))
    def download_outputs(self, task: ModelTask, stale_by: float | None) -> None:
        """Download with a fresh read, or with one read ``stale_by`` seconds ago (its
        links may have expired: the facade refreshes them once)."""
        if not task.short:
            return
        self._count("download_outputs")
        read = self.shake.get_task(task.id)
        if stale_by is not None:
            self.mock.advance(stale_by)
            self._sync()
        planned = sum(len(_outputs(t)) for t in read.targets if t.status.value == "completed")
        dest = Path(tempfile.mkdtemp(dir=self.out))
        if planned and not task.outputs_exist(self.now()):
            with pytest.raises(LinkExpiredError):
                self.shake.download(read, dest)
            self._count("event: download of expired outputs refused")
            return
        if planned and _oldest_link_expired(read, self.now()):
            self._count("event: download refreshed expired links")
        files = self.shake.download(read, dest)
        assert len(files) == planned
        # audio is never empty; a transcript of a second of audio may hold no words
        assert all(f.is_file() for f in files)
        assert all(f.stat().st_size > 0 for f in files if f.suffix not in (".srt", ".txt"))
        shutil.rmtree(dest)

    @rule(task=tasks)
    def download_after_its_links_expired(self, task: ModelTask) -> None:
        """What ``download_outputs`` meets by chance, on purpose: wait for the task, read
        it, let its links (not its outputs) expire, then download: the facade refreshes
        the links once. Without it, whether a run reached the refresh at all hung on the
        seed hypothesis derived (5 of 68 downloads with one, none with another)."""
        if not task.short:
            return
        self._count("download_after_its_links_expired")
        self.wait_for_task(task)
        if task.outputs_exist(self.now() + LINK_TTL_S + 1):
            self.download_outputs(task, LINK_TTL_S + 1)

    @rule(link=links)
    def fetch_old_link(self, link: LinkRef) -> None:
        """A link kept from an earlier read: refused once older than 1 h."""
        self._count("fetch_old_link")
        expires = int(parse_qs(urlsplit(link.link).query)["expires"][0])
        assert expires == int(link.signed_at + LINK_TTL_S)
        self._fetch(link.link, expires, self.model_tasks[link.task_id])

    @rule(task=tasks, age=st.sampled_from([0.0, 60.0, 3600.0, 3601.0, 2 * DAY, 3 * DAY + 1]))
    def fetch_link_after(self, task: ModelTask, age: float) -> None:
        """Wait for the task; a fresh read's link works while the outputs exist; the same
        link ``age`` seconds later obeys the 1 h and 72 h rules."""
        self._count("fetch_link_after")
        read = self.shake.wait(task.id, timeout=_wait_limit(task)).task
        signed_at = self.now()
        self._sync()
        link = next(
            (o.link for t in read.targets if t.status.value == "completed" for o in _outputs(t)),
            None,
        )
        if link is None:
            return
        expires = int(parse_qs(urlsplit(link).query)["expires"][0])
        assert expires == int(signed_at + LINK_TTL_S)
        self._fetch(link, expires, task)
        self.mock.advance(age)
        self._sync()
        self._fetch(link, expires, task)

    def _fetch(self, link: str, expires: int, task: ModelTask) -> None:
        now = self.now()
        if now > expires:
            self._expect_refused(link, "link expired")
        elif not task.outputs_exist(now):
            self._expect_refused(link, "output expired")
        elif task.short:  # rendering a long input's outputs is slow
            r = self.files.get(link)
            assert r.status_code == 200, f"a live link of {task.id} is refused: {r.text}"
            # audio is never empty; a transcript of a second of audio may hold no words
            assert r.content or urlsplit(link).path.endswith((".srt", ".txt"))

    def _has_output(self, task: ModelTask) -> bool:
        return any(t.status == "completed" for t in task.targets)

    def _expect_refused(self, link: str, why: str) -> None:
        self._count(f"event: {why} (403)")
        r = self.files.get(link)
        assert r.status_code == 403, f"{why}, yet {r.status_code}"
        assert why in r.json()["message"]

    # -- account-wide reads ----------------------------------------------------------

    @rule()
    def read_account(self) -> None:
        """Assets, tasks and statistics as the account sees them."""
        self._count("read_account")
        self._assets_listed()
        self._tasks_listed()
        self._statistics_equal_the_ledger()

    def _assets_listed(self) -> None:
        got = [a.id for a in self.shake.list_assets()]
        now = self._answered("listAssets")["time"]
        live = [a for a in self.assets.values() if a.usable(now)]
        live.sort(key=lambda a: (a.uploaded_at, a.id), reverse=True)
        assert got == [a.id for a in live], "GET /assets is not the live assets, newest first"

    def _tasks_listed(self) -> None:
        got = list(self.shake.list_tasks())
        ids = [t.id for t in got]
        assert sorted(ids) == sorted(self.model_tasks)
        order = sorted(got, key=lambda t: (t.created_at, t.id), reverse=True)
        assert ids == [t.id for t in order], "GET /tasks is not newest first (createdAt, id)"

    def _statistics_equal_the_ledger(self) -> None:
        for name, group in (("usage", _month), ("distribution", lambda e: e["model"])):
            field = "month" if name == "usage" else "model"
            got = {
                s.to_dict()[field]: [s.total_targets, int(s.total_minutes)]
                for s in self.shake.usage(name)
            }
            # The ledger as it stood when the service answered (the facade may have
            # waited for its rate limiter, and targets ended meanwhile).
            sent_at = self._answered("getTaskStatistics")["time"]
            want: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for e in self.admin.ledger(KEY):
                if e["kind"] == "charge" and e["time"] <= sent_at:
                    want[group(e)][0] += 1
                    want[group(e)][1] += e["minutes"]
            assert got == dict(want), f"{name} statistics differ from the ledger"
        self._sync()
        charges = [e for e in self.admin.ledger(KEY) if e["kind"] == "charge"]
        billed = [  # completed, or failed mid-processing (5xxx)
            t for task in self.model_tasks.values() for t in task.targets if t.ended and not free(t)
        ]
        assert len(charges) == len(billed), "charges differ from the billed targets"

    # -- the world around ----------------------------------------------------------------

    @initialize(rules=st.lists(FAULT_RULES, max_size=2))
    def first_fault_rules(self, rules: list[FaultRule]) -> None:
        for fault in rules:
            self._add_fault(fault)

    @rule(fault=FAULT_RULES, replace=st.booleans())
    def add_fault_rule(self, fault: FaultRule, replace: bool) -> None:
        """A target fault rule (after clearing the others when ``replace``)."""
        self._count("add_fault_rule")
        if replace:
            self.admin.clear_faults()
            self.faults.clear()
        self._add_fault(fault)

    def _add_fault(self, fault: FaultRule) -> None:
        self.admin.add_fault(**_fault_kwargs(fault))
        self.faults.append(fault)

    @rule(seconds=ADVANCES)
    def advance_clock(self, seconds: float) -> None:
        self._count("advance_clock")
        self.mock.advance(seconds)

    @rule(
        key=st.sampled_from([KEY, OTHER]),
        n=st.integers(1, 100),
        path=st.sampled_from(["/models", "/tasks", "/tasks/statistics", "/assets"]),
    )
    def burst(self, key: str, n: int, path: str) -> None:
        """``n`` raw requests at one instant: the first that fit the second are answered,
        the rest are 429 with the Retry-After that clears the window."""
        self._count("burst")
        now, client, window = self.now(), self.raw[key], self.windows[key]
        free = window.free(now)
        answers = [client.get(path) for _ in range(n)]
        answered = min(n, free)
        assert [r.status_code for r in answers] == [200] * answered + [429] * (n - answered)
        for i, r in enumerate(answers[:answered]):
            assert r.headers["X-RateLimit-Remaining"] == str(free - i - 1)
            assert r.headers["X-RateLimit-Reset"] == str(window.reset(now, i + 1))
        refused = answers[answered:]
        if not refused:
            return
        self._count("event: 429 with Retry-After")
        retry_after = window.retry_after(now, answered)
        assert all(r.headers.get("Retry-After") == str(retry_after) for r in refused)
        self.mock.advance(retry_after)
        again = client.get(path)
        assert again.status_code == 200, (
            f"still {again.status_code} after Retry-After {retry_after}"
        )

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def rate_limit_holds(self) -> None:
        entries = self._new_requests()
        if entries:
            assert entries[0]["seq"] == self.journal_seq + 1, "the journal lost entries"
            self.journal_seq = entries[-1]["seq"]
        for e in entries:
            self.windows[e["key"]].observe(e["time"], e["status"])

    @invariant()
    def responses_round_trip(self) -> None:
        self.responses.check_all()

    @invariant()
    def assets_expire_after_72_hours(self) -> None:
        now = self.now()
        with self.mock.state.lock:
            tenant = self.mock.state.store.tenants.get(KEY)
            held = set(tenant.assets) if tenant else set()
        assert held == {a.id for a in self.assets.values() if a.usable(now)}
        gone = [a.id for a in self.assets.values() if not a.usable(now) and a.stored.exists()]
        assert not gone, f"expired assets still on disk: {gone}"

    @invariant()
    def tasks_keep_the_service_rules(self) -> None:
        if not self.model_tasks:
            return
        now = self.now()
        ledger = self.admin.ledger(KEY)
        booked: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in ledger:
            if e["kind"] != "grant":
                assert e["task_id"] in self.model_tasks, f"ledger entry for an unknown task: {e}"
                booked[e["target_id"]].append(e)
        for task in self.model_tasks.values():
            self._check_task(task, self._snapshot(task.id), booked, now)

    def _outputs_dir(self, task_id: str) -> Path | None:
        state = self.mock.state
        with state.lock:
            return state.store.tenants[KEY].tasks[task_id].output_dir

    def _snapshot(self, task_id: str) -> dict[str, Any]:
        store = self.mock.state.store
        task = store.tenants[KEY].tasks[task_id]
        return store.read(task_json, task, store.link_signer(self.mock.state.base_url))

    def _check_task(
        self,
        task: ModelTask,
        snap: dict[str, Any],
        booked: dict[str, list[dict[str, Any]]],
        now: float,
    ) -> None:
        assert [t["id"] for t in snap["targets"]] == [t.id for t in task.targets]
        for target, seen in zip(task.targets, snap["targets"], strict=True):
            entries = booked[target.id]
            assert (
                entries[0]["kind"] == "reserve" and entries[0]["credits"] == target.charge.credits
            )
            self._check_target(task, target, seen, entries[1:], now)
        if not task.ended:
            assert snap["completedAt"] is None and "cost" not in snap, (
                f"task {task.id} shows completion while a target is processing"
            )
            return
        last = max(t.ended_at for t in task.targets if t.ended_at is not None)
        first_time = task.completed_at is None
        if first_time:
            task.completed_at = last
        assert (
            snap["completedAt"] == format_time(last) == max(t["updatedAt"] for t in snap["targets"])
        )
        costs = [expected_cost(task, t) for t in task.targets]
        assert [t.cost for t in task.targets] == costs, f"target costs of {task.id}"
        assert snap["cost"] == round(sum(costs), 4)
        assert snap["cost"] <= task.estimate.total, "the charge is more than estimate()"
        if not any(free(t) for t in task.targets):
            assert snap["cost"] == task.estimate.total, "the charge differs from estimate()"
        if not task.outputs_exist(now):
            kept = self._outputs_dir(task.id)
            assert kept is None or not kept.exists(), f"outputs of {task.id} kept past 72 h"
        if first_time:
            statuses = {t.status for t in task.targets}
            if len(statuses) == 2:
                self._count("event: task with completed and failed targets")
            if any(t.status == "error" and not free(t) for t in task.targets):
                self._count("event: a failure mid-processing was charged")
            if costs != [0.0 if free(t) else t.charge.credits for t in task.targets]:
                self._count("event: combined rate fell back to own rate")

    def _check_target(
        self,
        task: ModelTask,
        target: ModelTarget,
        seen: dict[str, Any],
        settled: list[dict[str, Any]],
        now: float,
    ) -> None:
        status = seen["status"]
        where = f"target {target.index} ({target.model}) of task {task.id}"
        if target.ended:  # an ended target never changes
            assert (status, seen["cost"], seen["updatedAt"]) == (
                target.status,
                target.cost,
                target.updated_at,
            ), f"{where} changed after it ended"
        elif status != "processing":
            assert target.expected.allows(status, seen["error"]), (
                f"{where} ended {status} {seen['error']}, expected {target.expected}"
            )
            assert len(settled) == 1, f"{where}: settled {len(settled)} times"
            target.status, target.cost, target.updated_at = status, seen["cost"], seen["updatedAt"]
            target.code = seen["error"]["code"] if seen["error"] else None
            code = f" {seen['error']['code']}" if seen["error"] else ""
            self._count(f"event: target {status}{code}")
            target.ended_at = settled[0]["time"]
            assert seen["updatedAt"] == format_time(target.ended_at)
        if status == "processing":
            assert (
                not settled and "cost" not in seen and not seen["output"] and seen["error"] is None
            )
            limit = max_processing_s(task.duration, target.request.get("variant"))
            assert now - task.created_at <= limit, f"{where} still processing after {limit} s"
            return
        entry = settled[0]
        assert len(settled) == 1
        if status == "completed":
            assert entry["kind"] == "charge" and entry["credits"] == seen["cost"]
            assert entry["minutes"] == billable_minutes(task.duration)
            allowed, fewest, most = output_names(CATALOG[target.model], target.request)
            names = [f"{o['name']}.{o['format']}" for o in seen["output"]]
            assert len(set(names)) == len(names) and set(names) <= allowed, f"{where}: {names}"
            assert fewest <= len(names) <= most, f"{where}: {len(names)} outputs"
            assert seen["error"] is None
        elif free(target):  # failed before processing: released, nothing charged
            assert entry["kind"] == "release" and entry["credits"] == 0 and seen["cost"] == 0
            assert seen["output"] == []
        else:  # failed mid-processing: charged as if it had completed
            assert entry["kind"] == "charge" and entry["credits"] == seen["cost"] > 0
            assert entry["minutes"] == billable_minutes(task.duration)
            assert seen["output"] == []


def _wait_limit(task: ModelTask) -> float:
    """Mock seconds after which waiting is a failure (a target stuck processing)."""
    return max(max_processing_s(task.duration, t.request.get("variant")) for t in task.targets)


def _fault_kwargs(fault: FaultRule) -> dict[str, Any]:
    return {
        "model": fault.model,
        "probability": fault.probability,
        "code": fault.code,
        "message": fault.message,
        "key": fault.key,
    }


def _outputs(target: Target) -> list[OutputItem]:
    return [] if isinstance(target.output, Unset) else target.output


def _oldest_link_expired(task: Task, now: float) -> bool:
    expires = [
        int(parse_qs(urlsplit(o.link).query)["expires"][0])
        for t in task.targets
        if t.status.value == "completed"
        for o in _outputs(t)
    ]
    return bool(expires) and now > min(expires)


def _month(entry: dict[str, Any]) -> str:
    return datetime.fromtimestamp(entry["time"], UTC).strftime("%Y-%m")


MUST_HAPPEN = {
    "event: target completed",
    "event: target error 5001",
    "event: task with completed and failed targets",
    "event: combined rate fell back to own rate",
    "event: target error 4002",
    "event: gated model refused",
    "event: expired asset refused",
    "event: link expired (403)",
    "event: output expired (403)",
    "event: download refreshed expired links",
    "event: download of expired outputs refused",
    "event: 429 with Retry-After",
}


def test_the_service_rules_hold_for_any_sequence(tmp_path_factory: pytest.TempPathFactory) -> None:
    ServiceMachine.media = MediaFiles(tmp_path_factory.mktemp("machine-media"))
    ServiceMachine.steps_run = Counter()
    run_state_machine_as_test(
        ServiceMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not DEEP,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Not vacuous: every rule ran, and the situations the rules are about came up.
    ran = set(ServiceMachine.steps_run)
    missing = {name for name in dir(ServiceMachine) if _is_rule(name)} - ran
    missing |= MUST_HAPPEN - ran
    assert not missing, f"never happened: {sorted(missing)}"


def _is_rule(name: str) -> bool:
    return hasattr(getattr(ServiceMachine, name, None), RULE_MARKER)
