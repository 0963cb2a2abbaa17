"""Bad input against the in-process mock: one table of malformed requests across every
public surface, each with the status the spec's mock contract gives it, and every
error answer in the contract's shape (``{statusCode, error, message}``, X-Request-Id).

createTask body validation (wrong types, unknown models, formats, limits) lives in
tests/unit/mock/test_validation.py and test_errors.py; here are the other surfaces:
authentication, tenancy, signed links, uploads (names, types, framing), query
parameters, JSON that does not parse or nests too deep, oversized metadata, webhooks.
Then the leniency the contract promises: unknown fields and parameters are ignored.
"""

from __future__ import annotations

import io
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from mock_server.harness import InProcessMock

OTHER_KEY = "other-tenant-key"
BOUNDARY = "hardening-boundary"


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00\xff\xff" * int(seconds * rate / 2))
    return buf.getvalue()


def multipart(name: str | None, data: bytes, field: str = "file", close: bool = True) -> bytes:
    disposition = f'form-data; name="{field}"'
    if name is not None:
        disposition += f'; filename="{name}"'
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data
    if close:
        body += f"\r\n--{BOUNDARY}--\r\n".encode()
    return body


def post_multipart(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post(
        "/assets",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


@dataclass
class World:
    """Two tenants, each with an asset and a completed task; A's output link."""

    mock: InProcessMock
    a: httpx.Client
    b: httpx.Client
    asset_a: dict[str, Any]
    asset_b: dict[str, Any]
    task_a: dict[str, Any]
    task_b: dict[str, Any]

    @property
    def link(self) -> str:
        link: str = self.task_a["targets"][0]["output"][0]["link"]
        return link

    def relink(self, **changes: str) -> str:
        """A's output link with query parameters changed (or removed when '')."""
        parts = urlsplit(self.link)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        for k, v in changes.items():
            if v:
                q[k] = v
            else:
                q.pop(k, None)
        return parts._replace(query=urlencode(q)).geturl()


def _task(mock: InProcessMock, client: httpx.Client, asset_id: str) -> dict[str, Any]:
    body = {"assetId": asset_id, "targets": [{"model": "vocals", "formats": ["wav"]}]}
    r = client.post("/tasks", json=body)
    assert r.status_code == 200, r.text
    mock.advance(60)
    task: dict[str, Any] = client.get(f"/tasks/{r.json()['id']}").json()
    assert task["targets"][0]["status"] == "completed", task
    return task


@pytest.fixture
def world(audioshake_mock: InProcessMock) -> Iterator[World]:
    mock = audioshake_mock
    with mock.new_client(OTHER_KEY) as b:
        a = mock.client
        wav = wav_bytes()
        asset_a = post_multipart(a, multipart("a.wav", wav)).json()
        asset_b = post_multipart(b, multipart("b.wav", wav)).json()
        yield World(
            mock,
            a,
            b,
            asset_a,
            asset_b,
            _task(mock, a, asset_a["id"]),
            _task(mock, b, asset_b["id"]),
        )


def contract_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers.get("x-request-id"), dict(r.headers)
    body = r.json()
    assert set(body) == {"statusCode", "error", "message"}, body
    assert body["statusCode"] == status
    message: str = body["message"]
    assert message
    return message


def raw_json(w: World, raw: bytes, path: str = "/tasks") -> httpx.Response:
    return w.a.post(path, content=raw, headers={"content-type": "application/json"})


def create(w: World, **fields: Any) -> httpx.Response:
    body = {"assetId": w.asset_a["id"], "targets": [{"model": "vocals", "formats": ["wav"]}]}
    body.update(fields)
    return w.a.post("/tasks", json=body)


# Each case: (id, request, expected status, a word the message must contain or None).
Case = tuple[str, Callable[[World], httpx.Response], int, str | None]

CASES: list[Case] = [
    # -- authentication: 401 comes first, whatever else is wrong ------------------------
    ("no key on a read", lambda w: w.a.get("/tasks", headers={"x-api-key": ""}), 401, "key"),
    (
        "no key and malformed JSON",
        lambda w: w.a.post("/tasks", content=b"{", headers={"x-api-key": ""}),
        401,
        "key",
    ),
    (
        "no key on an upload over the size limit",
        lambda w: w.a.post(
            "/assets",
            content=b"",
            headers={
                "x-api-key": "",
                "content-type": f"multipart/form-data; boundary={BOUNDARY}",
                "content-length": str(5 * 1024**3),
            },
        ),
        401,
        "key",
    ),
    # -- tenancy: another key's ids look exactly like unknown ids (404) -----------------
    ("other tenant's task", lambda w: w.a.get(f"/tasks/{w.task_b['id']}"), 404, "not found"),
    (
        "other tenant's asset as source",
        lambda w: create(w, assetId=w.asset_b["id"]),
        404,
        "assetId",
    ),
    (
        "other tenant's asset as transcript",
        lambda w: create(
            w,
            targets=[
                {
                    "model": "alignment",
                    "formats": ["json"],
                    "transcriptAssetId": w.asset_b["id"],
                }
            ],
        ),
        404,
        "transcriptAssetId",
    ),
    ("very long task id", lambda w: w.a.get("/tasks/" + "x" * 10_000), 404, "not found"),
    ("encoded traversal as task id", lambda w: w.a.get("/tasks/..%2F..%2Fetc%2Fpasswd"), 404, None),
    # -- signed links: tampered, expired-looking, moved → 403 ---------------------------
    (
        "link signature flipped",
        lambda w: w.a.get(w.relink(sig=("0" if w.relink()[-1] != "0" else "1") * 64)),
        403,
        "signature",
    ),
    (
        "link expiry extended",
        lambda w: w.a.get(
            w.relink(expires=str(int(parse_qs(urlsplit(w.link).query)["expires"][0]) + 3600))
        ),
        403,
        "signature",
    ),
    ("link expiry not a number", lambda w: w.a.get(w.relink(expires="tomorrow")), 403, "malformed"),
    ("link without a signature", lambda w: w.a.get(w.relink(sig="")), 403, None),
    (
        "link moved to another tenant",
        lambda w: w.a.get(w.relink(client=w.task_b["clientId"])),
        403,
        "signature",
    ),
    (
        "link signature reused on another file",
        lambda w: w.a.get(w.link.replace("/vocals.wav?", "/vocals_residual.wav?")),
        403,
        "signature",
    ),
    (
        "encoded traversal in a link path",
        lambda w: w.a.get(
            w.link.split("/files/")[0] + "/files/outputs/%2e%2e/%2e%2e/%2e%2e/etc/passwd"
            "?client=x&expires=9999999999&sig=" + "0" * 64
        ),
        403,
        None,
    ),
    # -- uploads: content types, framing, content that is not what it says -------------
    (
        "upload as raw audio/wav body",
        lambda w: w.a.post("/assets", content=wav_bytes(), headers={"content-type": "audio/wav"}),
        415,
        None,
    ),
    (
        "upload as application/octet-stream",
        lambda w: w.a.post(
            "/assets", content=wav_bytes(), headers={"content-type": "application/octet-stream"}
        ),
        415,
        None,
    ),
    (
        "multipart without a boundary",
        lambda w: w.a.post(
            "/assets",
            content=multipart("a.wav", wav_bytes()),
            headers={"content-type": "multipart/form-data"},
        ),
        400,
        "boundary",
    ),
    (
        "multipart cut inside the part headers",
        lambda w: post_multipart(w.a, multipart("a.wav", wav_bytes())[:40]),
        400,
        None,
    ),
    (
        "multipart with a different boundary in the body",
        lambda w: post_multipart(
            w.a, multipart("a.wav", wav_bytes()).replace(BOUNDARY.encode(), b"something-else")
        ),
        400,
        None,
    ),
    (
        "file name of 20,000 characters",
        lambda w: post_multipart(w.a, multipart("n" * 20_000 + ".wav", wav_bytes())),
        400,
        "multipart",
    ),
    (
        "named .wav, bytes are random binary",
        lambda w: post_multipart(w.a, multipart("song.wav", bytes(range(256)) * 16)),
        415,
        "not a supported",
    ),
    (
        "named .wav, zero bytes",
        lambda w: post_multipart(w.a, multipart("song.wav", b"")),
        415,
        None,
    ),
    (
        "named .mp3, bytes are a PDF",
        lambda w: post_multipart(w.a, multipart("song.mp3", b"%PDF-1.7\n" + b"\0" * 600)),
        415,
        None,
    ),
    (
        "declared 10 GB upload",
        lambda w: w.a.post(
            "/assets",
            content=b"",
            headers={
                "content-type": f"multipart/form-data; boundary={BOUNDARY}",
                "content-length": str(10 * 10**9),
            },
        ),
        413,
        "limit",
    ),
    # -- JSON that does not parse, or is not an object ----------------------------------
    ("JSON null", lambda w: raw_json(w, b"null"), 400, None),
    ("JSON NaN", lambda w: raw_json(w, b'{"url": NaN, "targets": []}'), 400, "body"),
    ("JSON trailing comma", lambda w: raw_json(w, b'{"targets": [],}'), 400, "body"),
    ("JSON nested 5000 deep", lambda w: raw_json(w, b"[" * 5000 + b"]" * 5000), 400, "body"),
    (
        "JSON with a UTF-16 BOM",
        lambda w: raw_json(w, '{"targets": []}'.encode("utf-16")),
        400,
        "body",
    ),
    # -- metadata and other task fields of the wrong size or type -----------------------
    ("metadata 4097 characters", lambda w: create(w, metadata="m" * 4097), 400, "metadata"),
    ("metadata 1 MB", lambda w: create(w, metadata="m" * 1_000_000), 400, "metadata"),
    # a JSON body above 1 MiB is 413 (before 400), read no further than the limit
    ("JSON body 2 MiB", lambda w: create(w, metadata="m" * (2 << 20)), 413, "1048576"),
    (
        "JSON body 2 MiB, chunked (no length declared)",
        lambda w: w.a.post(
            "/tasks",
            content=iter([b"{" + b" " * (1 << 20), b" " * (1 << 20) + b"}"]),
            headers={"content-type": "application/json"},
        ),
        413,
        "limit",
    ),
    (
        "JSON body declaring 5 GiB",
        lambda w: w.a.post(
            "/tasks",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": str(5 * 1024**3)},
        ),
        413,
        "limit",
    ),
    (
        "webhook registration 2 MiB",
        lambda w: w.a.post("/webhooks", json={"url": "https://example.com/" + "x" * (2 << 20)}),
        413,
        "limit",
    ),
    ("metadata an object", lambda w: create(w, metadata={"a": 1}), 400, "metadata"),
    ("callbackUrl not a URL", lambda w: create(w, callbackUrl=42), 400, "callbackUrl"),
    # -- query parameters ---------------------------------------------------------------
    ("take 0", lambda w: w.a.get("/tasks", params={"take": 0}), 400, "take"),
    ("take 101", lambda w: w.a.get("/tasks", params={"take": 101}), 400, "take"),
    ("take not a number", lambda w: w.a.get("/tasks", params={"take": "ten"}), 400, "take"),
    ("skip negative", lambda w: w.a.get("/tasks", params={"skip": -1}), 400, "skip"),
    ("skip a float", lambda w: w.a.get("/tasks", params={"skip": "1.5"}), 400, "skip"),
    (
        "statistics of an unknown kind",
        lambda w: w.a.get("/tasks/statistics", params={"name": "everything"}),
        400,
        "name",
    ),
    # -- webhooks -----------------------------------------------------------------------
    ("webhook url missing", lambda w: w.a.post("/webhooks", json={}), 400, "url"),
    (
        "webhook url not http",
        lambda w: w.a.post("/webhooks", json={"url": "ftp://x.test/h"}),
        400,
        "url",
    ),
    ("webhook body malformed", lambda w: raw_json(w, b'{"url": ', "/webhooks"), 400, "body"),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("send", "status", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_the_contract_status(
    world: World, send: Callable[[World], httpx.Response], status: int, word: str | None
) -> None:
    before = _stored(world)
    message = contract_error(send(world), status)
    if word is not None:
        assert word.lower() in message.lower(), message
    assert _stored(world) == before  # a refused request leaves nothing behind
    assert _leftovers(world) == []


def _stored(w: World) -> tuple[int, int, int]:
    store = w.mock.state.store
    assets = sum(len(t.assets) for t in store.tenants.values())
    return len(store.tasks_by_id), assets, len(w.mock.state.ledger.entries)


def _leftovers(w: World) -> list[Path]:
    uploads = w.mock.state.data_dir / "uploads"
    return sorted(uploads.iterdir()) if uploads.exists() else []


# -- names are only names: what is stored stays inside the data dir -----------------------

TRAVERSAL_NAMES = {
    "dot-dot slashes": "../../../../../../tmp/{tag}.wav",
    "absolute": "/etc/{tag}.wav",
    "backslashes": "..\\..\\..\\{tag}.wav",
    "doubled dots": "....//....//{tag}.wav",
    "percent-encoded": "%2e%2e%2f%2e%2e%2f{tag}.wav",
    "only dot-dot": "..",
    "only a dot": ".",
    "empty": "",
    "NUL byte": "con\x00{tag}.wav",
    "control characters": "\x01\x7f{tag}\t.wav",
    "hidden file": ".{tag}.wav",
    "600 characters": "{tag}" + "x" * 600 + ".wav",
}


@pytest.mark.parametrize("pattern", TRAVERSAL_NAMES.values(), ids=TRAVERSAL_NAMES.keys())
def test_upload_names_cannot_leave_the_data_dir(world: World, pattern: str) -> None:
    tag = f"evil-{uuid.uuid4().hex}"
    name = pattern.format(tag=tag)
    r = post_multipart(world.a, multipart(name, wav_bytes()))
    assert r.status_code == 200, r.text
    asset = r.json()
    assert asset["name"] == (name or "upload")  # the name is reported as given ...
    stored = world.mock.state.store.tenants[world.mock.api_key].assets[asset["id"]].path
    data_dir = world.mock.state.data_dir.resolve()
    assert stored.resolve().is_relative_to(data_dir)  # ... but stored safely
    assert stored.exists() and stored.read_bytes() == wav_bytes()
    base = stored.name
    assert "/" not in base and "\\" not in base and "\x00" not in base
    assert not base.startswith(".") and len(base) <= 255
    for root in (Path("/tmp"), Path("/"), Path("/etc"), data_dir.parent):
        assert not list(root.glob(f"*{tag}*"))
    # and the asset works as a source
    task = world.a.post(
        "/tasks", json={"assetId": asset["id"], "targets": [{"model": "drums", "formats": ["wav"]}]}
    )
    assert task.status_code == 200, task.text


def test_a_wav_header_over_garbage_is_accepted_and_its_targets_fail_4001(world: World) -> None:
    """The contract: a known container that fails to decode is accepted; its targets
    fail with 4001 (not a 4xx at upload)."""
    junk = b"RIFF\x24\x00\x10\x00WAVEjunk" + bytes(range(256)) * 8
    r = post_multipart(world.a, multipart("broken.wav", junk))
    assert r.status_code == 200, r.text
    assert r.json()["format"] == "wav"
    task = create(world, assetId=r.json()["id"]).json()
    world.mock.advance(60)
    target = world.a.get(f"/tasks/{task['id']}").json()["targets"][0]
    assert target["status"] == "error"
    assert target["error"]["code"] == 4001


def test_text_named_wav_is_stored_as_the_text_it_is(world: World) -> None:
    r = post_multipart(world.a, multipart("lyrics.wav", b"la la la\nla la\n"))
    assert r.status_code == 200, r.text
    assert r.json()["format"] == "txt"  # decided by content, not by name


# -- leniency: unknown fields and parameters are ignored (mock contract) ----------------------


def test_unknown_fields_and_parameters_are_ignored_on_every_surface(world: World) -> None:
    w = world
    assert w.a.get(f"/tasks/{w.task_a['id']}", params={"expand": "all", "v": 2}).status_code == 200
    assert w.a.get("/tasks", params={"limit": 5, "order": "asc", "take": 1}).json()[0]["id"]
    assert w.a.get("/tasks/statistics", params={"from": "2020-01"}).status_code == 200
    assert w.a.get("/assets", params={"page": 3}).status_code == 200
    hook = w.a.post("/webhooks", json={"url": "https://hooks.test/x", "events": ["all"], "x": 1})
    assert hook.status_code == 200, hook.text
    assert set(hook.json()) == {"url", "secret"}
    extra_part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'.encode()
        + multipart("a.wav", wav_bytes())
    )
    assert post_multipart(w.a, extra_part).status_code == 200
    task = create(
        w,
        writeDestination="s3://bucket/key",
        priority="high",
        targets=[{"model": "vocals", "formats": ["wav"], "quality": "max"}],
    )
    assert task.status_code == 200, task.text
    assert "priority" not in task.json()
    assert "quality" not in task.json()["targets"][0]


def test_the_mock_keeps_answering_after_all_of_it(world: World) -> None:
    for _, send, _, _ in CASES:
        send(world)
    assert world.a.get("/models").status_code == 200
    assert world.a.get(f"/tasks/{world.task_a['id']}").status_code == 200
