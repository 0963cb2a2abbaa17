"""The access log (``mock_server.logs``) in process: one line per request with method,
path (query values redacted), status, latency, request id and the key's short hash,
never the key; admin requests marked; silent until configured."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from mock_server.harness import InProcessMock
from mock_server.logs import ACCESS_LOGGER, configure, key_hash, loggable_target

from .helpers import run, target, url_body

SECRET_KEY = "sk-log-test-0123456789abcdef"
KEY_HASH = hashlib.sha256(SECRET_KEY.encode()).hexdigest()[:8]
TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
    r"(?P<ms>\d+\.\d)ms (?P<rid>\S+) key=(?P<key>\S+)(?P<rest>.*)$"
)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The access log turned on (text) into a buffer; off again afterwards."""
    out = io.StringIO()
    configure("text", out)
    yield out
    configure(None)


@pytest.fixture
def logged_json() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure("json", out)
    yield out
    configure(None)


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def keyed(mock: InProcessMock, key: str = SECRET_KEY) -> httpx.Client:
    return mock.new_client(key)


def test_key_hash_and_target_redaction() -> None:
    assert key_hash(SECRET_KEY) == KEY_HASH
    assert key_hash(SECRET_KEY.encode()) == KEY_HASH
    assert key_hash(None) is None and key_hash("") is None
    assert loggable_target("/tasks") == "/tasks"
    assert loggable_target("/tasks", b"limit=5&cursor=abc") == "/tasks?limit=***&cursor=***"
    link = loggable_target("/files/x", b"client=c1&expires=99&sig=deadbeef")
    assert link == "/files/x?client=***&expires=***&sig=***"
    assert loggable_target(f"/_mock/keys/{SECRET_KEY}") == f"/_mock/keys/key={KEY_HASH}"


def test_a_text_line_carries_the_fields_and_never_the_key(
    mock: InProcessMock, logged: io.StringIO
) -> None:
    with keyed(mock) as client:
        r = client.get("/models", params={"q": SECRET_KEY})
    assert r.status_code == 200
    [line] = lines(logged)
    m = TEXT_LINE.match(line)
    assert m, line
    assert m["method"] == "GET"
    assert m["path"] == "/models?q=***"
    assert m["status"] == "200"
    assert float(m["ms"]) >= 0
    assert m["rid"] == r.headers["x-request-id"]
    assert m["key"] == KEY_HASH
    assert m["rest"] == ""  # not an admin request
    assert SECRET_KEY not in logged.getvalue()


def test_refusals_are_logged_with_their_status(mock: InProcessMock, logged: io.StringIO) -> None:
    with mock.new_client(None) as client:
        assert client.get("/nowhere").status_code == 404
        anonymous = httpx.Client(transport=mock.transport, base_url=mock.base_url)
        with anonymous:
            assert anonymous.get("/models").status_code == 401
    statuses = [TEXT_LINE.match(line)["status"] for line in lines(logged)]  # type: ignore[index]
    assert statuses == ["404", "401"]
    assert lines(logged)[1].split(" key=")[1] == "-"


def test_json_lines_carry_the_fields_and_never_the_key(
    mock: InProcessMock, logged_json: io.StringIO
) -> None:
    with keyed(mock) as client:
        r = client.get("/models")
        client.put(f"/_mock/keys/{SECRET_KEY}", json={"credits": 10})
    first, admin = (orjson.loads(line) for line in lines(logged_json))
    assert set(first) == {"time", "method", "path", "status", "ms", "requestId", "key", "admin"}
    assert first["method"] == "GET" and first["path"] == "/models" and first["status"] == 200
    assert first["requestId"] == r.headers["x-request-id"]
    assert first["key"] == KEY_HASH and first["admin"] is False
    assert isinstance(first["ms"], float) and first["ms"] >= 0
    assert first["time"].endswith("Z")
    # the admin route with a key in its path: marked admin, the key hashed there too
    assert admin["admin"] is True and admin["path"] == f"/_mock/keys/key={KEY_HASH}"
    assert SECRET_KEY not in logged_json.getvalue()


def test_admin_requests_are_marked(mock: InProcessMock, logged: io.StringIO) -> None:
    mock.client.get("/_mock/clock")
    mock.client.get("/_mock/health")
    assert [line.endswith(" admin") for line in lines(logged)] == [True, True]
    assert " /_mock/clock 200 " in lines(logged)[0]


def test_a_signed_links_signature_is_not_logged(mock: InProcessMock, logged: io.StringIO) -> None:
    with keyed(mock) as client:
        task = run(mock, url_body(5, target("vocals")), client)
        link = task["targets"][0]["output"][0]["link"]
        assert client.get(link).status_code == 200
    query = dict(part.split("=", 1) for part in urlsplit(link).query.split("&"))
    text = logged.getvalue()
    assert query["sig"] not in text
    download = [line for line in lines(logged) if " /files/" in line]
    assert len(download) == 1
    assert f"{urlsplit(link).path}?client=***&expires=***&sig=***" in download[0]
    assert SECRET_KEY not in text


def test_a_dropped_connection_is_logged_as_dropped(
    mock: InProcessMock, logged: io.StringIO
) -> None:
    rule = {"method": "GET", "path": "/models", "drop": True}
    assert mock.client.post("/_mock/http-faults", json=rule).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        mock.client.get("/models")
    assert lines(logged)[-1].endswith(" dropped")


def test_silent_unless_configured(mock: InProcessMock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # even a root logger open to everything hears nothing
    mock.client.get("/models")
    mock.client.get("/_mock/health")
    assert [r for r in caplog.records if r.name == ACCESS_LOGGER] == []


def test_a_test_may_listen_with_caplog(
    mock: InProcessMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    mock.client.get("/models")
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    fields: dict[str, Any] = record.access  # type: ignore[attr-defined]
    assert fields["path"] == "/models" and fields["status"] == 200
    assert fields["key"] == key_hash(mock.api_key)


def test_configure_none_turns_it_off(mock: InProcessMock) -> None:
    out = io.StringIO()
    configure("text", out)
    configure(None)
    mock.client.get("/models")
    assert out.getvalue() == ""
    assert not logging.getLogger(ACCESS_LOGGER).handlers
