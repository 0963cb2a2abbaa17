"""``audioshake-mock serve``'s console: the banner (keys accepted, admin API, health,
specs, access log) and the access log on stderr, one line per request (text or JSON),
never an API key nor a signed link's signature; ``--quiet`` logs nothing; uvicorn's own
access log stays off. Each server here is stopped before its output is read, so the whole
of it is there: no waiting for a line that must not come."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.support.processes import STARTUP_S

from .conftest import MockProcess, wait_for

pytestmark = pytest.mark.slow

SECRET = "e2e-log-key-5f1d9c0b7a"
OTHER = "e2e-log-other-key-93e1"
HASH = hashlib.sha256(SECRET.encode()).hexdigest()[:8]
TEXT_LINE = re.compile(
    r"^\S+Z (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) \d+\.\dms (?P<rid>req_\w+) "
    r"key=(?P<key>[0-9a-f]{8}|-)(?P<admin> admin)?$"
)


class Served(MockProcess):
    """``MockProcess`` whose whole banner has been printed, with its stdout and stderr
    read to the end by ``finish()``."""

    def __init__(self, *args: str) -> None:
        super().__init__(*args)
        # the banner is written at once, its last line says where the access log goes
        wait_for(self._banner_done, timeout=STARTUP_S, what="the banner")

    @property
    def http(self) -> httpx.Client:
        """A client without a key, for public and admin routes alike."""
        return self.admin

    def _banner_done(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited {self.proc.returncode}: {self.stderr}")
        return any(line.startswith("  access log:") for line in self.stdout)

    @property
    def banner(self) -> str:
        """All of stdout so far: the banner (and, once stopped, the stop message)."""
        return "".join(self.stdout)

    def finish(self) -> list[str]:
        """Stop the server (SIGTERM) and return every line it wrote to stderr."""
        self.admin.close()
        assert self.stop() == 0
        self.read_to_end()
        return [line.rstrip("\n") for line in self.stderr]


def traffic(srv: Served, refused: int = 401) -> dict[str, str]:
    """Public calls, a refusal, admin calls and a download through a signed link; the
    request ids of some of them by name, and the link."""
    keyed = {"x-api-key": SECRET}
    ids: dict[str, str] = {}
    r = srv.http.get("/models", headers=keyed, params={"token": SECRET})
    assert r.status_code == 200
    ids["models"] = r.headers["x-request-id"]
    r = srv.http.get("/models", headers={"x-api-key": OTHER})
    assert r.status_code == refused
    ids["refused"] = r.headers["x-request-id"]
    r = srv.http.get("/_mock/health")
    assert r.status_code == 200
    ids["health"] = r.headers["x-request-id"]
    assert srv.http.get(f"/_mock/keys/{SECRET}").status_code == 200
    body = {
        "url": "https://x.test/a.mp3#duration=5",
        "targets": [{"model": "vocals", "formats": ["wav"]}],
    }
    task = srv.http.post("/tasks", json=body, headers=keyed).json()
    assert srv.http.post("/_mock/clock", json={"advance": 600}).status_code == 200
    task = srv.http.get(f"/tasks/{task['id']}", headers=keyed).json()
    link = task["targets"][0]["output"][0]["link"]
    r = srv.http.get(link)
    assert r.status_code == 200
    ids["download"] = r.headers["x-request-id"]
    ids["link"] = link
    return ids


def no_secrets(text: str, link: str) -> None:
    assert SECRET not in text
    assert OTHER not in text
    sig = dict(p.split("=", 1) for p in urlsplit(link).query.split("&"))["sig"]
    assert sig not in text


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Any:
    srv = Served(*request.param)
    yield srv
    srv.close()


@pytest.mark.parametrize(
    "served", [("--clock", "manual", "--api-key", SECRET, "--api-key", "second")], indirect=True
)
def test_banner_and_text_access_log(served: Served) -> None:
    base = served.base_url
    banner = served.banner
    assert f"API keys:    {SECRET}, second" in banner
    assert f"admin API:   {base}/_mock/\n" in banner
    assert f"dashboard:   {base}/_mock/ui/\n" in banner
    assert f"health:      {base}/_mock/health" in banner
    assert f"{base}/openapi.yaml" in banner and f"{base}/_mock/openapi.yaml" in banner
    assert "access log:  stderr (text)" in banner

    ids = traffic(served)
    log = served.finish()
    text = "\n".join(log)
    no_secrets(text, ids["link"])
    # every stderr line is one of ours: uvicorn's access log ("GET /x HTTP/1.1" 200) is off
    parsed = {}
    for line in log:
        m = TEXT_LINE.match(line)
        assert m, line
        parsed[m["rid"]] = m
    models = parsed[ids["models"]]
    assert (models["method"], models["path"], models["status"], models["key"]) == (
        "GET",
        "/models?token=***",
        "200",
        HASH,
    )
    assert models["admin"] is None
    assert parsed[ids["refused"]]["status"] == "401"
    assert parsed[ids["refused"]]["key"] == hashlib.sha256(OTHER.encode()).hexdigest()[:8]
    assert parsed[ids["health"]]["admin"] and parsed[ids["health"]]["key"] == "-"
    download = parsed[ids["download"]]
    assert download["path"] == f"{urlsplit(ids['link']).path}?client=***&expires=***&sig=***"
    assert any(m["path"] == f"/_mock/keys/key={HASH}" for m in parsed.values())
    assert len(log) == 8  # one line per request
    assert "HTTP/1.1" not in served.banner  # uvicorn's access log goes to stdout: off


@pytest.mark.parametrize(
    "served", [("--clock", "manual", "--log-format", "json", "--api-key", SECRET)], indirect=True
)
def test_json_access_log(served: Served) -> None:
    assert "access log:  stderr (json)" in served.banner
    ids = traffic(served)
    log = served.finish()
    no_secrets("\n".join(log), ids["link"])
    entries = {e["requestId"]: e for e in map(orjson.loads, log)}
    assert len(entries) == len(log) == 8
    models = entries[ids["models"]]
    assert {k: models[k] for k in ("method", "path", "status", "key", "admin")} == {
        "method": "GET",
        "path": "/models?token=***",
        "status": 200,
        "key": HASH,
        "admin": False,
    }
    assert models["ms"] >= 0 and models["time"].endswith("Z")
    assert entries[ids["health"]]["admin"] is True
    assert entries[ids["refused"]]["status"] == 401
    assert "sig=***" in entries[ids["download"]]["path"]


@pytest.mark.parametrize("served", [("--clock", "manual", "--quiet")], indirect=True)
def test_quiet_logs_nothing(served: Served) -> None:
    assert "API keys:    any non-empty key" in served.banner
    assert "access log:  off (--quiet)" in served.banner
    traffic(served, refused=200)  # any key is accepted
    assert served.finish() == []


@pytest.mark.parametrize("served", [("--no-admin", "--api-key", SECRET)], indirect=True)
def test_no_admin_keeps_health_and_says_so(served: Served) -> None:
    base = served.base_url
    assert "admin API:   off (--no-admin)" in served.banner
    assert "dashboard:   off (--no-admin)" in served.banner
    assert f"{base}/_mock/openapi.yaml" not in served.banner
    assert f"health:      {base}/_mock/health" in served.banner
    r = served.http.get("/_mock/health")  # no key
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["clock"] == "real"
    assert served.http.get("/_mock/clock").status_code == 404
    log = served.finish()
    assert [TEXT_LINE.match(line)["status"] for line in log] == ["200", "404"]  # type: ignore[index]


@pytest.mark.parametrize("served", [("--clock", "manual", "--verbose", "--quiet")], indirect=True)
def test_verbose_adds_uvicorns_messages_not_its_access_log(served: Served) -> None:
    assert served.http.get("/models", headers={"x-api-key": SECRET}).status_code == 200
    text = "\n".join(served.finish())
    assert "Application startup complete" in text
    assert "Application shutdown complete" in text
    # neither uvicorn's access log (it would go to stdout) nor ours (--quiet)
    assert "/models" not in text
    assert "/models" not in served.banner
