"""The dashboard (``/_mock/ui/``) as a person uses it, in Chromium: tasks created through
the API appear and finish when the page moves the clock, a fault rule added on the page
fails the next task's target, the request journal shows a 429, credits set on the page
reach the ledger. Each check is confirmed through the API too, so the page did it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mock_server.harness import ServedMock

from .conftest import screenshot

pytestmark = pytest.mark.slow


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
