"""The model catalog validates against its JSON Schema and agrees with the spec."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml

from audioshake_kit.domain.catalog import Catalog, get_catalog
from audioshake_kit.domain.spec import data_text, load_catalog_data, load_spec

CATALOG = get_catalog()
SPEC = load_spec()


def test_catalog_validates_against_its_schema() -> None:
    schema = json.loads(data_text("models.schema.json"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(data_text("models.yaml")))


def test_schema_rejects_a_broken_catalog() -> None:
    schema = json.loads(data_text("models.schema.json"))
    data = copy.deepcopy(load_catalog_data())
    del data["models"][0]["creditsPerMinute"]
    with pytest.raises(jsonschema.ValidationError, match="creditsPerMinute"):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_every_output_format_is_allowed_by_the_spec() -> None:
    allowed = set(SPEC["components"]["schemas"]["OutputFormat"]["enum"])
    for model in CATALOG:
        assert set(model.output_formats) <= allowed, model.id


def test_every_model_id_fits_the_spec_target_request() -> None:
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/TargetRequest", "components": SPEC["components"]}
    )
    for model in CATALOG:
        body = {"model": model.id, "formats": list(model.output_formats)}
        if model.variants:
            body["variant"] = model.variants[0].id
        validator.validate(body)


def test_transcript_inputs_map_to_spec_fields() -> None:
    fields = set(SPEC["components"]["schemas"]["TargetRequest"]["properties"])
    media_fields = set(SPEC["components"]["schemas"]["CreateTaskRequest"]["properties"])
    for model in CATALOG:
        for inp in model.inputs:
            assert set(inp["taskFields"]) <= fields | media_fields, (model.id, inp["id"])
    assert CATALOG["alignment"].accepts_transcript
    assert not CATALOG["transcription"].accepts_transcript


def test_catalog_facts_from_the_reference() -> None:
    assert len(CATALOG.models) == 25
    assert "music_identification" not in CATALOG and "music" not in CATALOG
    assert CATALOG.limits.max_targets_per_task == 20
    assert CATALOG.limits.max_upload_bytes == 2 * 1024**3
    assert CATALOG["bass"].rate() == 1.0
    assert CATALOG["vocals"].rate("high_quality") == 1.5
    assert CATALOG["instrumental"].rate("high_quality") == 1.5
    assert CATALOG["dialogue"].rate() == 1.5
    assert CATALOG["music_detection"].rate() == 0.5
    assert CATALOG["multi_voice"].variant(None) is not None
    assert CATALOG["multi_voice"].variant(None).id == "two_speaker"  # type: ignore[union-attr]
    assert CATALOG["multi_voice"].gated and CATALOG["music_removal"].gated
    assert CATALOG["transcription"].text_output and not CATALOG["vocals"].text_output
    assert CATALOG["transcription"].max_input_duration_seconds == 2700
    assert "en" in CATALOG["alignment"].supported_languages
    (combined,) = CATALOG.combined_rates
    assert combined.models == {"transcription", "alignment"}
    assert combined.credits_per_minute == 1.5


def test_catalog_is_data_a_new_model_needs_no_code() -> None:
    data = copy.deepcopy(load_catalog_data())
    extra = dict(data["models"][0], id="kazoo", name="Kazoo")
    data["models"].append(extra)
    assert Catalog.from_data(data)["kazoo"].rate() == 1.0


def test_every_model_says_where_its_values_come_from() -> None:
    models = load_catalog_data()["models"]
    assert all(len(m.get("source", "")) >= 10 for m in models)
    # AudioShake's own demo (a copy of its Models page) gives multi_voice 1 hour
    multi = next(m for m in models if m["id"] == "multi_voice")
    assert multi["maxInputDurationSeconds"] == 3600 and "AudioShake" in multi["source"]
    n_speaker = next(v for v in multi["variants"] if v["id"] == "n_speaker")
    assert "mock assumption" in n_speaker["source"]


def test_sources_are_never_served() -> None:
    from mock_server.routes.models import models_json

    body = models_json(get_catalog(), frozenset({"multi_voice"}))
    keys = {k for m in body["models"] for k in m} | {
        k for m in body["models"] for v in m.get("variants", []) for k in v
    }
    assert "source" not in keys and "mock" not in keys
