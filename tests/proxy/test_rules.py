"""The proxy's rules one by one, in process: which operation a request is, what a check
finds (and what it does not), how findings fold and count, how links are rewritten and
redacted, and that a cassette written one interaction at a time always loads in VCR.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vcr
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from audioshake_kit.domain.spec import load_spec
from mock_server.proxy.cassette import CassetteWriter
from mock_server.proxy.checks import NOT_JSON, SpecChecker, undocumented_fields
from mock_server.proxy.drift import DriftLog, Violation
from mock_server.proxy.operations import OperationIndex
from mock_server.proxy.urls import (
    original_link,
    redact_json,
    redact_url,
    rewrite_links,
    rewrite_links_raw,
)
from mock_server.validation import spec_validators

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def checker() -> SpecChecker:
    return SpecChecker(load_spec(), spec_validators())


def task(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "t",
        "createdAt": "2026-01-01T00:00:00Z",
        "clientId": "c",
        "targets": [{"id": "a", "model": "vocals", "status": "completed", "formats": ["wav"]}],
    }
    body.update(changes)
    return body


# -- operations -------------------------------------------------------------------------


def test_a_literal_path_wins_over_a_template() -> None:
    index = OperationIndex(load_spec())
    assert index.find("GET", "/tasks/statistics").operation == "getTaskStatistics"
    assert index.find("GET", "/tasks/abc").operation == "getTask"
    assert index.find("POST", "/tasks").operation == "createTask"
    assert index.find("GET", "/tasks/").operation == "listTasks"
    wrong = index.find("DELETE", "/tasks/abc")
    assert (wrong.operation, wrong.template, wrong.methods) == (None, "/tasks/{id}", ("GET",))
    assert index.find("GET", "/tasks/a/b").template is None


def test_unknown_paths_and_methods_are_findings(checker: SpecChecker) -> None:
    index = OperationIndex(load_spec())
    assert str(checker.unknown("GET", "/jobs", index.find("GET", "/jobs"))) == (
        "unknown request: path: GET /jobs: no such path in the spec"
    )
    method = checker.unknown("PUT", "/assets", index.find("PUT", "/assets"))
    assert method.message == "PUT is not documented for /assets (documented: GET, POST)"


# -- checks -----------------------------------------------------------------------------


def test_a_valid_answer_has_no_finding(checker: SpecChecker) -> None:
    assert checker.response("getTask", 200, JSON, task()) == []
    assert (
        checker.response(
            "getTask", 404, JSON, {"statusCode": 404, "error": "Not Found", "message": "x"}
        )
        == []
    )


def test_an_unknown_status_names_the_field_and_the_enum(checker: SpecChecker) -> None:
    body = task(targets=[{"id": "a", "model": "vocals", "status": "failed", "formats": []}])
    [found] = checker.response("getTask", 200, JSON, body)
    assert str(found) == (
        "getTask response: $.targets[0].status: 'failed' is not one of "
        "['processing', 'completed', 'error']"
    )
    assert found.expected == ["processing", "completed", "error"]


def test_every_missing_required_field_is_one_finding(checker: SpecChecker) -> None:
    body = task()
    del body["clientId"], body["createdAt"]
    found = checker.response("getTask", 200, JSON, body)
    assert sorted(v.path for v in found) == ["$.clientId", "$.createdAt"]
    assert {v.kind for v in found} == {"required"}


def test_status_media_type_and_headers_are_checked(checker: SpecChecker) -> None:
    [status] = checker.response("getTask", 500, {"content-type": "text/html"}, None)
    assert status.path == "status" and status.expected == [200, 401, 404, 429]
    found = checker.response("getTask", 200, {"content-type": "text/plain"}, NOT_JSON)
    assert [v.kind for v in found] == ["content-type", "json"]
    headers = {**JSON, "retry-after": "0", "x-ratelimit-limit": "sixty"}
    found = checker.response(
        "getTask", 429, headers, {"statusCode": 429, "error": "e", "message": "m"}
    )
    assert {(v.path, v.kind) for v in found} == {
        ("header:Retry-After", "minimum"),
        ("header:X-RateLimit-Limit", "type"),
    }


def test_requests_are_checked_as_the_mock_checks_them(checker: SpecChecker) -> None:
    ok = {"x-api-key": "k", **JSON}
    good = {"assetId": "a", "targets": [{"model": "vocals", "formats": ["wav"]}]}
    assert checker.request("createTask", {}, ok, good) == []
    assert [v.path for v in checker.request("createTask", {}, JSON, good)] == ["header:x-api-key"]
    both = {**good, "url": "https://x.test/a.mp3"}
    assert [v.path for v in checker.request("createTask", {}, ok, both)] == ["$"]
    [take] = checker.request("listTasks", {"take": "500"}, ok)
    assert (take.path, take.message) == ("query:take", "500 is greater than the maximum of 100")
    [media] = checker.request(
        "uploadAsset", {}, {"x-api-key": "k", "content-type": "application/json"}
    )
    assert media.kind == "content-type"
    assert (
        checker.request(
            "uploadAsset", {}, {"x-api-key": "k", "content-type": "multipart/form-data; boundary=x"}
        )
        == []
    )


def test_undocumented_fields_are_found_at_any_depth() -> None:
    spec = load_spec()
    schema = spec["paths"]["/tasks/{id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    body = task(
        extra=1,
        targets=[
            {
                "id": "a",
                "model": "m",
                "status": "error",
                "formats": [],
                "error": {"code": 1, "message": "x", "hint": 2},
            },
            {
                "id": "b",
                "model": "m",
                "status": "completed",
                "formats": [],
                "output": [{"name": "n", "format": "wav", "link": "l", "bitrate": 3}],
            },
        ],
    )
    assert undocumented_fields(schema, body, spec["components"]) == [
        "$.extra",
        "$.targets[0].error.hint",  # inside a oneOf branch
        "$.targets[1].output[0].bitrate",
    ]
    assert undocumented_fields(schema, task(), spec["components"]) == []


# -- drift ------------------------------------------------------------------------------


def test_findings_fold_array_indices_and_count(caplog: pytest.LogCaptureFixture) -> None:
    drift = DriftLog()
    a = Violation("getTask", "response", "$.targets[0].status", "enum", "bad")
    b = Violation("getTask", "response", "$.targets[3].status", "enum", "bad")
    c = Violation("getTask", "request", "$.targets[0].status", "enum", "bad")
    u = Violation("getTask", "response", "$.x", "undocumented", "new", undocumented=True)
    with caplog.at_level("WARNING", logger="mock_server.proxy.drift"):
        drift.add([a, b, u])
        drift.add([a, c])
    assert [r.getMessage() for r in caplog.records] == [
        "getTask response: $.targets[0].status: bad",
        "undocumented: getTask response: $.x: new",
        "getTask request: $.targets[0].status: bad",
    ]
    report = drift.report()
    assert [(v["direction"], v["path"], v["count"]) for v in report["violations"]] == [
        ("response", "$.targets[*].status", 3),
        ("request", "$.targets[*].status", 1),
    ]
    assert [(v["path"], v["count"]) for v in report["undocumented"]] == [("$.x", 1)]


def test_the_report_is_json_with_request_counts(tmp_path: Path) -> None:
    drift = DriftLog()
    for op in ("getTask", "getTask", "createTask"):
        drift.count_request(op)
    drift.write(tmp_path / "deep" / "r.json")
    report = json.loads((tmp_path / "deep" / "r.json").read_text())
    assert report == {
        "requests": {"createTask": 1, "getTask": 2},
        "totalRequests": 3,
        "violations": [],
        "undocumented": [],
    }


# -- links and redaction ----------------------------------------------------------------


def test_links_go_through_the_proxy_and_back() -> None:
    origins: set[str] = set()
    link = "https://cdn.test/out/v.wav?Expires=1&Signature=abc&Key-Pair-Id=K"
    body = {"targets": [{"output": [{"link": link, "name": "v"}]}], "url": "https://x.test/a"}
    out = rewrite_links(body, "http://127.0.0.1:9", origins)
    new = out["targets"][0]["output"][0]["link"]
    assert (
        new
        == "http://127.0.0.1:9/_proxy/link/https/cdn.test/out/v.wav?Expires=1&Signature=abc&Key-Pair-Id=K"
    )
    assert out["url"] == "https://x.test/a"  # only link fields
    assert origins == {"https://cdn.test"}
    path, _, query = new.removeprefix("http://127.0.0.1:9").partition("?")
    assert original_link(path, query) == ("https://cdn.test", link)
    with pytest.raises(ValueError, match="not a rewritten link"):
        original_link("/_proxy/link/ftp/x/y", "")


LINK = "https://cdn.test/out/v.wav?Expires=1&Signature=a%2Fb&Key-Pair-Id=K#t=1"
RAW_BODIES = [
    # (JSON text, whether the text rewrite can take it alone)
    (json.dumps({"targets": [{"output": [{"link": LINK}, {"link": "http://h:9/x"}]}]}), True),
    (json.dumps({"a": {"link": LINK}}, separators=(",", ":")), True),  # compact
    (json.dumps({"a": {"link": LINK}}, indent=2), True),
    (json.dumps({"link": LINK, "note": 'a "link": "https://evil.test/" in text'}), True),
    (json.dumps({"link": None, "b": {"link": LINK}}), False),
    (json.dumps({"name": "link", "b": {"link": LINK}}), False),
    (json.dumps({"link": "ftp://h/x"}), False),
    ('{"link": "https:\\/\\/cdn.test\\/x"}', False),  # escaped slashes
]


@pytest.mark.parametrize(("text", "alone"), RAW_BODIES)
def test_the_text_rewrite_says_what_the_parsed_rewrite_says(text: str, alone: bool) -> None:
    """On JSON text, links are rewritten in place when every "link" field is a plain
    http(s) URL, with the same result (and origins) as rewriting the parsed body; other
    bodies are left to the parsed rewrite."""
    by_text: set[str] = set()
    by_tree: set[str] = set()
    raw = rewrite_links_raw(text.encode(), "http://127.0.0.1:9", by_text)
    tree = rewrite_links(json.loads(text), "http://127.0.0.1:9", by_tree)
    assert (raw is not None) is alone
    if raw is not None:
        assert json.loads(raw) == tree
        assert by_text == by_tree
    assert "https://evil.test" not in by_tree


def test_signatures_and_keys_are_redacted_everywhere() -> None:
    assert (
        redact_url("http://h/f?client=c&expires=9&sig=abc")
        == "http://h/f?client=c&expires=9&sig=REDACTED"
    )
    assert redact_url("https://cdn/x?Expires=1&Signature=s&Key-Pair-Id=K") == (
        "https://cdn/x?Expires=1&Signature=REDACTED&Key-Pair-Id=REDACTED"
    )
    assert redact_url("https://h/x?a=1") == "https://h/x?a=1"
    body = {"secret": "whsec", "items": [{"link": "http://h/f?sig=abc"}], "note": "a?b"}
    assert redact_json(body) == {
        "secret": "REDACTED",
        "items": [{"link": "http://h/f?sig=REDACTED"}],
        "note": "a?b",
    }


# -- cassettes --------------------------------------------------------------------------


def _add(writer: CassetteWriter, n: int) -> None:
    writer.add(
        method="GET",
        uri=f"http://127.0.0.1:9/tasks/{n}?sig=abc",
        request_headers=[("x-api-key", "k-123"), ("Cookie", "a=b"), ("accept", "*/*")],
        request_body=None,
        status=200,
        response_headers=[
            ("content-type", "application/json"),
            ("set-cookie", "s=1"),
            ("transfer-encoding", "chunked"),
        ],
        response_body=b'{"n": %d}' % n,
    )


def test_a_cassette_loads_in_vcrpy_after_every_interaction(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, "s")
    for n in range(3):
        _add(writer, n)
        requests, responses = FilesystemPersister.load_cassette(str(writer.path), yamlserializer)
        assert len(requests) == n + 1
    assert requests[0].uri == "http://127.0.0.1:9/tasks/0?sig=REDACTED"
    assert (
        requests[0].headers["x-api-key"] == "REDACTED"
        and requests[0].headers["cookie"] == "REDACTED"
    )
    assert responses[2]["body"]["string"] == b'{"n": 2}'
    assert responses[0]["headers"]["set-cookie"] == ["REDACTED"]
    assert "transfer-encoding" not in responses[0]["headers"]
    assert responses[0]["headers"]["content-length"] == ["8"]
    assert "k-123" not in writer.path.read_text()


def test_an_empty_session_is_an_empty_cassette(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, "empty")
    writer.close()
    with vcr.VCR(record_mode="none").use_cassette(str(writer.path)) as cassette:
        assert len(cassette) == 0
    with pytest.raises(FileExistsError, match="choose another cassette name"):
        CassetteWriter(tmp_path, "empty")
    with pytest.raises(ValueError, match="without folders"):
        CassetteWriter(tmp_path, "a/b")
