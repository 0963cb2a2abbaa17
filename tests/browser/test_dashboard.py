"""The dashboard (``/_mock/ui/``) as a person uses it, in Chromium: tasks created through
the API appear and finish when the page moves the clock, a fault rule added on the page
fails the next task's target, the request journal shows a 429, credits set on the page
reach the ledger, assets expire, webhook attempts are listed. Each check is confirmed through the API too, so the page did it."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mock_server.harness import ServedMock
from mock_server.synth import synth_media

from .conftest import screenshot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def song(duration: float, *models: str) -> dict[str, object]:
    return {
        "url": f"https://x.test/song.mp3#duration={duration}",
        "metadata": "dashboard test",
        "targets": [{"model": m, "formats": ["wav", "mp3"]} for m in models],
    }


def open_dashboard(page: Page, served: ServedMock) -> None:
    page.goto(f"{served.base_url}/_mock/ui")
    expect(page.get_by_test_id("live")).to_have_text("live")


def test_a_task_appears_and_completes_when_the_page_advances_the_clock(
    page: Page, served: ServedMock
) -> None:
    task = served.client.post("/tasks", json=song(12, "vocals", "instrumental")).json()
    open_dashboard(page, served)
    card = page.locator(f"article[data-task='{task['id']}']")
    expect(card).to_have_attribute("data-status", "processing")
    expect(card.locator("tr[data-status=processing]")).to_have_count(2)
    expect(page.get_by_test_id("clock-now")).to_have_text("2026-01-01T00:00:00.000Z")
    expect(page.get_by_test_id("key-select").locator("option")).to_have_text(
        [f"{served.api_key} (1 task)"]
    )

    page.get_by_test_id("advance-1h").click()

    expect(page.get_by_test_id("clock-now")).to_have_text("2026-01-01T01:00:00.000Z")
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.locator("tr[data-status=completed]")).to_have_count(2)
    # Each output is downloadable and, being audio, playable.
    expect(card.locator(".output a")).to_have_count(4)
    expect(card.locator(".output audio")).to_have_count(4)
    link = card.locator("tr[data-model=vocals] .output a").first.get_attribute("href")
    assert link is not None and served.client.get(link).status_code == 200
    got = served.client.get(f"/tasks/{task['id']}").json()
    assert [t["status"] for t in got["targets"]] == ["completed", "completed"]
    expect(card.locator(".cost")).to_have_text(f"{got['cost']:g} credits")
    screenshot(page, "dashboard-tasks")


def test_a_fault_rule_added_on_the_page_fails_the_next_tasks_target(
    page: Page, served: ServedMock
) -> None:
    served.client.get("/models")  # the key is seen: the page scopes the rule to it
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Faults")).click()
    form = page.get_by_test_id("target-fault-form")
    form.get_by_label("Model").fill("drums")
    form.get_by_test_id("add-target-fault").click()
    expect(page.get_by_test_id("message")).to_have_text("target fault rule added")
    expect(page.get_by_test_id("target-faults").locator("tbody tr")).to_have_count(1)
    (rule,) = served.client.get("/_mock/faults").json()
    assert (rule["model"], rule["code"], rule["key"]) == ("drums", 5001, served.api_key)
    screenshot(page, "dashboard-faults")

    task = served.client.post("/tasks", json=song(30, "drums", "bass")).json()
    page.get_by_role("tab", name=re.compile("Tasks")).click()
    page.get_by_test_id("advance-1h").click()
    card = page.locator(f"article[data-task='{task['id']}']")
    expect(card.locator("tr[data-model=drums]")).to_have_attribute("data-status", "error")
    expect(card.locator("tr[data-model=drums] .error-text")).to_have_text("5001: processing failed")
    expect(card.locator("tr[data-model=bass]")).to_have_attribute("data-status", "completed")
    got = served.client.get(f"/tasks/{task['id']}").json()
    assert {t["model"]: t["status"] for t in got["targets"]} == {
        "drums": "error",
        "bass": "completed",
    }


def test_the_journal_shows_a_429_and_filters_by_status(page: Page, served: ServedMock) -> None:
    served.admin.set_rate_limit(3)
    statuses = [served.client.get("/tasks/nope").status_code]
    statuses += [served.client.get("/models").status_code for _ in range(4)]
    assert statuses == [404, 200, 200, 429, 429]  # the manual clock: all in one second
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Requests")).click()
    journal = page.get_by_test_id("journal").locator("tbody tr")
    expect(journal).to_have_count(5)
    page.get_by_test_id("status-filter").select_option("4")
    expect(journal).to_have_count(3)
    page.get_by_test_id("status-filter").select_option("429")
    expect(journal).to_have_count(2)
    for row in journal.all():
        expect(row).to_have_attribute("data-status", "429")
        expect(row.locator("td").nth(3)).to_have_text("/models")
    rid = served.admin.requests()[-1]["requestId"]
    expect(journal.first.locator("code")).to_have_text(rid)  # newest first
    expect(journal.first.locator("td").nth(5)).to_have_text(re.compile(r"^\d+\.\d ms$"))
    screenshot(page, "dashboard-requests")


def test_credits_set_on_the_page_reach_the_key_and_its_ledger(
    page: Page, served: ServedMock
) -> None:
    served.client.get("/models")
    open_dashboard(page, served)
    page.get_by_role("tab", name="Credits").click()
    expect(page.get_by_test_id("balance")).to_have_text("unlimited")
    page.get_by_label("Set credits").fill("12.5")
    page.get_by_test_id("credits-form").get_by_role("button", name="Set").click()
    expect(page.get_by_test_id("balance")).to_have_text("12.5 credits")
    assert served.admin.key_info(served.api_key)["credits"] == 12.5
    expect(page.get_by_test_id("ledger").locator("tr[data-kind=grant]")).to_have_count(1)
    # A task too dear for the balance is refused by the API, and nothing is reserved.
    refused = served.client.post("/tasks", json=song(1800, "vocals"))
    assert refused.status_code == 402
    screenshot(page, "dashboard-credits")


def test_a_bad_value_on_the_page_shows_the_mocks_message(page: Page, served: ServedMock) -> None:
    served.client.get("/models")
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Faults")).click()
    form = page.get_by_test_id("target-fault-form")
    form.get_by_label("Model").fill("no-such-model")
    form.get_by_test_id("add-target-fault").click()
    expect(page.get_by_test_id("message")).to_have_text(
        "POST faults: model: unknown model 'no-such-model'"
    )
    assert served.client.get("/_mock/faults").json() == []


def test_assets_show_their_expiry_and_leave_when_it_passes(
    page: Page, served: ServedMock, tmp_path: Path
) -> None:
    clip = synth_media(tmp_path / "clip.wav", 2.0, "wav")
    asset = served.client.post("/assets", files={"file": (clip.name, clip.read_bytes())})
    assert asset.status_code == 200, asset.text
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Assets")).click()
    rows = page.get_by_test_id("assets").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(asset.json()["id"])
    expect(rows.first).to_contain_text("(in 72 h 0 min)")
    screenshot(page, "dashboard-assets")
    page.locator("[data-advance='259200']").click()  # +72 h: the asset expires
    expect(rows).to_have_count(0)
    assert served.client.get("/assets").json() == []


def test_webhook_deliveries_show_each_attempt(page: Page, served: ServedMock) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    closed.close()  # nothing listens there: every attempt is refused
    served.admin.set_webhook(served.api_key, url)
    task = served.client.post("/tasks", json=song(12, "vocals")).json()
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Webhooks")).click()
    page.get_by_test_id("advance-1h").click()  # the task ends and every retry falls due
    row = page.get_by_test_id("deliveries").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.first.locator(".badge")).to_have_text("failed")
    (delivery,) = served.admin.deliveries(served.api_key)
    assert delivery["taskId"] == task["id"] and delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 6  # the first try and five retries within the hour
    expect(row.first.locator(".attempt")).to_have_text(
        [f"{iso(a['at'])} → {a['error']}" for a in delivery["attempts"]]
    )
    screenshot(page, "dashboard-webhooks")


def test_the_clock_can_be_set_to_a_time_from_the_page(page: Page, served: ServedMock) -> None:
    open_dashboard(page, served)
    page.get_by_label("Mock time to set (UTC)").fill("2026-01-02T03:04:05")
    page.get_by_role("button", name="Set (UTC)").click()
    expect(page.get_by_test_id("clock-now")).to_have_text("2026-01-02T03:04:05.000Z")
    assert served.admin.clock()["now"] == "2026-01-02T03:04:05.000Z"
    page.get_by_label("Mock time to set (UTC)").fill("2026-01-01T00:00:00")  # backwards
    page.get_by_role("button", name="Set (UTC)").click()
    expect(page.get_by_test_id("message")).to_have_text(
        "POST clock: set: the clock cannot go backwards"
    )
    assert served.admin.clock()["now"] == "2026-01-02T03:04:05.000Z"


def test_an_http_fault_added_on_the_page_answers_the_next_request(
    page: Page, served: ServedMock
) -> None:
    served.client.get("/models")
    open_dashboard(page, served)
    page.get_by_role("tab", name=re.compile("Faults")).click()
    form = page.get_by_test_id("http-fault-form")
    form.get_by_label("Path").fill("/models")
    form.get_by_label("Status").fill("503")
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_test_id("http-faults").locator("tbody tr")).to_have_count(1)
    assert [served.client.get("/models").status_code for _ in range(2)] == [503, 200]
    expect(page.get_by_test_id("http-faults").locator("tbody td").nth(7)).to_have_text("0")
    page.get_by_role("button", name="Clear all").nth(1).click()
    expect(page.get_by_test_id("http-faults").locator("tbody tr")).to_have_count(0)
    assert served.client.get("/_mock/http-faults").json() == []


def iso(unix: float) -> str:
    """A time as the page shows it (JavaScript's toISOString without zero milliseconds)."""
    text = datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z").replace(".000Z", "Z")
