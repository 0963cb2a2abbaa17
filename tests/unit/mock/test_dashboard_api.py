"""What the dashboard (``/_mock/ui/``) reads, through the admin API: the keys seen, a
key's tasks and assets without spending its rate limit, the fault rules, the journal's
latency and numbering across resets; the page's files, served from the package with
nothing fetched from elsewhere; its polls kept out of the access log."""

from __future__ import annotations

import io
import re
import time
from importlib import resources
from typing import Any

import httpx
import pytest

from mock_server.harness import InProcessMock
from mock_server.logs import configure

from .conftest import MakeMedia
from .helpers import create, error, run, target, upload_ok, url_body


def ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def test_keys_lists_every_key_seen_oldest_first_with_counts(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    mock.admin.put_key("granted", credits=50)
    create(mock.client, url_body(30, target("vocals")))
    upload_ok(mock.client, make_media("wav", 1.0))
    with mock.new_client("third") as third:
        ok(third.get("/models"))
    keys = ok(mock.client.get("/_mock/keys"))
    assert [(k["key"], k["tasks"], k["assets"]) for k in keys] == [
        ("granted", 0, 0),
        ("test-key", 1, 1),
        ("third", 0, 0),
    ]
    assert keys[0]["credits"] == 50
    assert keys[1]["reserved"] > 0  # the running task's reservation


def test_a_keys_tasks_and_assets_as_the_public_api_shows_them(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    asset = upload_ok(mock.client, make_media("wav", 1.0))
    done = run(mock, url_body(20, target("vocals"), target("drums")))
    running = create(mock.client, url_body(20, target("bass")))
    tasks = ok(mock.client.get("/_mock/tasks", params={"key": "test-key"}))
    assert tasks == ok(mock.client.get("/tasks"))
    assert [t["id"] for t in tasks] == [running["id"], done["id"]]
    assert [t["status"] for t in tasks[1]["targets"]] == ["completed", "completed"]
    link = tasks[1]["targets"][0]["output"][0]["link"]
    assert link.startswith(mock.base_url)  # signed for the host the page asked
    assert mock.client.get(link).status_code == 200
    newest = ok(mock.client.get("/_mock/tasks", params={"key": "test-key", "take": 1}))
    assert [t["id"] for t in newest] == [running["id"]]
    assets = ok(mock.client.get("/_mock/assets", params={"key": "test-key"}))
    assert assets == ok(mock.client.get("/assets"))
    assert [a["id"] for a in assets] == [asset["id"]]


def test_admin_reads_spend_no_rate_limit_and_are_not_journaled(mock: InProcessMock) -> None:
    mock.admin.set_rate_limit(2)
    ok(mock.client.get("/models"))
    for _ in range(5):
        ok(mock.client.get("/_mock/tasks", params={"key": "test-key"}))
        ok(mock.client.get("/_mock/assets", params={"key": "test-key"}))
        ok(mock.client.get("/_mock/keys"))
    assert mock.client.get("/models").status_code == 200  # the second of two allowed
    assert mock.client.get("/models").status_code == 429
    assert [e["operationId"] for e in mock.admin.requests()] == ["listModels"] * 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "key: the query parameter key (an API key) is required"),
        ({"key": "never-seen"}, "key: unknown key 'never-seen'"),
        ({"key": "test-key", "take": "0"}, "take: must be an integer from 1 to 100"),
        ({"key": "test-key", "take": "101"}, "take: must be an integer from 1 to 100"),
        ({"key": "test-key", "take": "x"}, "take: must be an integer from 1 to 100"),
    ],
)
def test_task_listing_names_a_bad_query(
    mock: InProcessMock, params: dict[str, str], message: str
) -> None:
    ok(mock.client.get("/models"))  # test-key is seen
    assert error(mock.client.get("/_mock/tasks", params=params), 400) == message
    assert ok(mock.client.get("/_mock/tasks", params={"key": "test-key", "take": "100"})) == []


def test_an_admin_read_creates_no_key(mock: InProcessMock) -> None:
    error(mock.client.get("/_mock/assets", params={"key": "ghost"}), 400)
    assert [k["key"] for k in ok(mock.client.get("/_mock/keys"))] == []


def test_fault_rules_are_listed_as_they_count_down(mock: InProcessMock) -> None:
    assert ok(mock.client.get("/_mock/faults")) == []
    rule = ok(mock.client.post("/_mock/faults", json={"model": "drums", "key": "test-key"}))
    assert ok(mock.client.get("/_mock/faults")) == [rule]
    http = ok(mock.client.post("/_mock/http-faults", json={"path": "/models", "status": 503}))
    assert [r["times"] for r in ok(mock.client.get("/_mock/http-faults"))] == [1]
    assert mock.client.get("/models").status_code == 503
    assert ok(mock.client.get("/_mock/http-faults")) == [{**http, "times": 0}]
    mock.client.delete("/_mock/faults")
    mock.client.delete("/_mock/http-faults")
    assert ok(mock.client.get("/_mock/faults")) == ok(mock.client.get("/_mock/http-faults")) == []


def test_the_journal_gives_each_answers_latency(mock: InProcessMock) -> None:
    """Wall time in ms, injected latency included: between the fault's delay and what
    the caller measured around the call."""
    mock.admin.add_http_fault(path="/models", latency_ms=20)
    started = time.perf_counter()
    ok(mock.client.get("/models"))
    wall_ms = (time.perf_counter() - started) * 1000
    (entry,) = mock.admin.requests()
    assert 20 <= entry["latencyMs"] <= wall_ms


def test_journal_numbers_keep_growing_across_a_reset(mock: InProcessMock) -> None:
    ok(mock.client.get("/models"))
    ok(mock.client.get("/models"))
    last = mock.admin.requests()[-1]["seq"]
    mock.client.post("/_mock/reset")
    assert mock.admin.requests() == []
    ok(mock.client.get("/models"))
    # A page polling with since=last sees what came after the reset.
    after = ok(mock.client.get("/_mock/requests", params={"since": last}))
    assert [e["seq"] for e in after] == [last + 1]


UI_FILES = ("index.html", "dashboard.js", "dashboard.css")


def test_the_page_and_its_files_are_served(mock: InProcessMock) -> None:
    moved = mock.client.get("/_mock/ui", follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"].endswith("/_mock/ui/")
    page = mock.client.get("/_mock/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        if not src.startswith(("#", "..", "data:")):
            assert mock.client.get(f"/_mock/ui/{src}").status_code == 200, src
    assert (
        mock.client.get("/_mock/ui/dashboard.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    error(mock.client.get("/_mock/ui/missing.js"), 404)


def test_the_page_fetches_nothing_from_elsewhere() -> None:
    """No CDN, no web font: a machine without internet shows the whole page."""
    folder = resources.files("mock_server").joinpath("ui")
    for name in UI_FILES:
        text = folder.joinpath(name).read_text("utf-8")
        assert not re.search(r"https?://|\"//|'//|url\(\s*['\"]?//", text), name
        assert "@import" not in text and "import(" not in text, name


@pytest.mark.audioshake_mock(admin=False)
def test_no_admin_means_no_dashboard(mock: InProcessMock) -> None:
    error(mock.client.get("/_mock/ui/"), 404)
    error(mock.client.get("/_mock/keys"), 404)
    error(mock.client.get("/_mock/tasks", params={"key": "test-key"}), 404)


def test_the_dashboards_polls_stay_out_of_the_access_log(mock: InProcessMock) -> None:
    out = io.StringIO()
    configure("text", out)
    try:
        poll = {"X-Mock-Poll": "1"}
        ok(mock.client.get("/_mock/keys", headers=poll))
        ok(mock.client.get("/_mock/clock", headers=poll))
        ok(mock.client.get("/_mock/keys"))  # not a poll: logged
        ok(mock.client.post("/_mock/clock", json={"advance": 1}, headers=poll))  # an action
        ok(mock.client.get("/models", headers=poll))  # public calls are always logged
    finally:
        configure(None)
    logged = [line.split()[1:3] for line in out.getvalue().splitlines()]
    assert logged == [["GET", "/_mock/keys"], ["POST", "/_mock/clock"], ["GET", "/models"]]
