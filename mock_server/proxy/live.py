"""``audioshake-mock check-live``: a short scripted flow through the validating proxy
against the real service, then the drift report.

The flow: ``GET /models``; the cheapest enabled model that needs nothing but media is
chosen (or ``--model``); what it will spend is said (one billed minute, the minimum, at
the account's own rate) and confirmed before anything is spent; then a generated 5 s
clip is uploaded, one target created, the task polled until it ends and each output
downloaded (through the proxy, so downloads are checked too). Plain httpx, as the mock's
side may not use the facade; the proxy runs in a thread of this process."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from audioshake_kit.domain.billing import billable_minutes

from .app import ProxyConfig, ProxyState, build_proxy

__all__ = ["CLIP_SECONDS", "LiveCheck", "LiveCheckError", "choose_model", "run_check_live"]

CLIP_SECONDS = 5.0
REAL_SERVICE = "https://api.audioshake.ai"


class LiveCheckError(RuntimeError):
    """The flow could not go on; the message says where and why."""


@dataclass
class LiveCheck:
    """What a run did: the model, the credits it said it would spend, the answers' statuses
    and spec findings (``report``: the proxy's drift report)."""

    model: str | None = None
    credits: float | None = None
    spent: bool = False
    error: str | None = None
    steps: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def choose_model(models: list[Mapping[str, Any]]) -> tuple[str, float, str]:
    """(model id, credits per minute, output format) of the cheapest enabled model with
    a price whose only required input is media; ``LiveCheckError`` when there is none."""
    candidates = []
    for m in models:
        rate = m.get("creditsPerMinute")
        required = {i.get("id") for i in m.get("inputs", []) if i.get("required")}
        formats = list(m.get("outputFormats") or [])
        if m.get("access") != "enabled" or not isinstance(rate, int | float) or not formats:
            continue
        if required - {"media"}:
            continue
        fmt = "wav" if "wav" in formats else formats[0]
        candidates.append((float(rate), str(m["id"]), fmt))
    if not candidates:
        raise LiveCheckError("GET /models lists no enabled, priced model that needs only media")
    rate, model, fmt = min(candidates)
    return model, rate, fmt


@contextlib.contextmanager
def proxy_in_thread(config: ProxyConfig) -> Iterator[ProxyState]:
    """The proxy on 127.0.0.1 (a free port) in a thread; its report is final on exit."""
    from ..serving import listen
    from .server import serving_in_thread

    sock = listen("127.0.0.1", 0)
    config.public_base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    state = ProxyState(config)
    try:
        with serving_in_thread(build_proxy(state), sock):
            yield state
    except RuntimeError as exc:
        raise LiveCheckError(str(exc)) from None
    finally:
        sock.close()


def run_check_live(
    api_key: str,
    *,
    upstream: str = REAL_SERVICE,
    model: str | None = None,
    confirm: Callable[[str], bool],
    echo: Callable[[str], None],
    poll_interval: float = 5.0,
    timeout: float = 900.0,
    record: Path | None = None,
    report: Path | None = None,
) -> LiveCheck:
    """Run the flow; ``confirm(question)`` is asked before the first request that spends."""
    from ..synth import synth_media

    check = LiveCheck()
    config = ProxyConfig(upstream=upstream, record_dir=record, report=report)
    if record is not None:
        config.cassette = time.strftime("check-live-%Y%m%dT%H%M%SZ", time.gmtime())
    with (
        proxy_in_thread(config) as state,
        httpx.Client(
            base_url=config.public_base_url, headers={"x-api-key": api_key}, timeout=120
        ) as http,
    ):

        def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
            r = http.request(method, url, **kwargs)
            marks = r.headers.get("x-spec-violations", "?")
            check.steps.append(
                f"{method} {url.split('?')[0]} -> {r.status_code} ({marks} findings)"
            )
            echo(f"  {check.steps[-1]}")
            if r.status_code >= 400:
                raise LiveCheckError(
                    f"{method} {url.split('?')[0]} answered {r.status_code}: {r.text[:300]}"
                )
            return r

        try:
            models = call("GET", "/models").json().get("models", [])
            chosen, rate, fmt = choose_model(models)
            if model is not None:
                match = next((m for m in models if m.get("id") == model), None)
                if match is None:
                    raise LiveCheckError(f"--model {model!r} is not in GET /models")
                chosen, rate = model, float(match.get("creditsPerMinute") or 0)
                fmt = (
                    "wav" if "wav" in match.get("outputFormats", []) else match["outputFormats"][0]
                )
            check.model = chosen
            check.credits = billable_minutes(CLIP_SECONDS) * rate
            question = (
                f"This uploads a {CLIP_SECONDS:g} s generated clip and runs one '{chosen}' target "
                f"({fmt}) on {upstream}: about {check.credits:g} credit(s) "
                f"({billable_minutes(CLIP_SECONDS)} billed minute at {rate:g}/min). Go on?"
            )
            if not confirm(question):
                echo("Nothing spent.")
            else:
                check.spent = True
                with tempfile.TemporaryDirectory(prefix="check-live-") as tmp:
                    clip = synth_media(Path(tmp) / "check-live.wav", CLIP_SECONDS, "wav", seed=5)
                    with clip.open("rb") as fh:
                        asset = call(
                            "POST", "/assets", files={"file": (clip.name, fh, "audio/wav")}
                        ).json()
                body = {"assetId": asset["id"], "targets": [{"model": chosen, "formats": [fmt]}]}
                task = call("POST", "/tasks", json=body).json()
                deadline = time.monotonic() + timeout
                while any(t.get("status") == "processing" for t in task.get("targets", [])):
                    if time.monotonic() > deadline:
                        raise LiveCheckError(
                            f"task {task['id']} still processing after {timeout:g} s"
                        )
                    time.sleep(poll_interval)
                    task = call("GET", f"/tasks/{task['id']}").json()
                for target in task["targets"]:
                    for output in target.get("output") or []:
                        call("GET", output["link"])
        except LiveCheckError as exc:
            check.error = str(exc)
    check.report = state.drift.report()
    return check
