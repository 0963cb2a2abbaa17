"""The mock's assumptions about models are catalog data (``mock:`` blocks in
openapi/models.yaml), not model ids in code; ``GET /models`` never serves them."""

from __future__ import annotations

import copy
import json
from typing import Any

from audioshake_kit.domain.catalog import Catalog, get_catalog
from audioshake_kit.domain.spec import load_catalog_data, load_spec
from mock_server.harness import InProcessMock
from mock_server.render import render_text
from mock_server.state import MockConfig, MockState

from .helpers import target, url_body

SCHEMAS = load_spec()["components"]["schemas"]


def test_get_models_serves_no_mock_assumption(mock: InProcessMock) -> None:
    models = mock.client.get("/models").json()["models"]
    assert len(models) == len(get_catalog().models)
    for m in models:
        assert set(m) <= set(SCHEMAS["Model"]["properties"]), m["id"]
        for v in m.get("variants", []):
            assert set(v) <= set(SCHEMAS["ModelVariant"]["properties"]), (m["id"], v)
    assert "mock" not in repr(models)
    assert "processingFactor" not in repr(models)


def test_the_catalog_holds_the_assumptions() -> None:
    catalog = get_catalog()
    assert catalog["vocals"].processing_factor("high_quality") == 2.0
    assert catalog["vocals"].processing_factor(None) == 1.0
    assert catalog["multi_voice"].mock_outputs == "speakers"
    assert catalog["vocals"].mock_outputs == "stems"
    assert catalog["music_detection"].mock_document == "intervals"
    assert catalog["transcription"].mock_document == "lyrics"


def _processing_times(body: dict[str, Any], catalog: Catalog | None = None) -> dict[str, float]:
    """Processing time of each target of a task created on a fresh state (seed 0)."""
    state = MockState(MockConfig(), catalog=catalog)
    try:
        tenant = state.store.authenticate("k", state.now())
        task = state.store.create_task(tenant, body, state.now())
        return {t.model: t.ends_at - t.created_at for t in task.targets}
    finally:
        state.close()


def test_a_variants_processing_factor_scales_its_processing_time() -> None:
    plain = _processing_times(url_body(60, target("vocals")))["vocals"]
    slow = _processing_times(url_body(60, target("vocals", variant="high_quality")))["vocals"]
    assert plain > 0
    assert abs(slow - 2 * plain) <= 0.002  # the same draws, twice as long


def _catalog_with(model: str, mock_block: dict[str, Any]) -> Catalog:
    data = copy.deepcopy(load_catalog_data())
    for m in data["models"]:
        if m["id"] == model:
            m["mock"] = mock_block
    return Catalog.from_data(data)


def test_speaker_outputs_follow_the_catalog() -> None:
    catalog = _catalog_with("drums", {"outputs": "speakers"})
    state = MockState(MockConfig(), catalog=catalog)
    try:
        tenant = state.store.authenticate("k", state.now())
        task = state.store.create_task(tenant, url_body(5, target("drums")), state.now())
        names = [o.name for o in task.targets[0].outputs]
        assert names == ["drums_speaker_1", "drums_speaker_2"]  # no variant: 2 speakers
    finally:
        state.close()


def test_interval_documents_follow_the_catalog() -> None:
    catalog = _catalog_with("transcription", {"document": "intervals"})
    doc = render_text(catalog["transcription"], "json", 25.0, seed=1)
    rows = json.loads(doc)
    assert [(r["start_time"], r["end_time"]) for r in rows] == [(0, 10), (10, 20), (20, 25)]
