"""The generator template override (``openapi/templates``): it differs from the pinned
generator's own template only where it stops fixing the multipart boundary, and uploads
through the generated client keep every byte, even bytes that spell the old boundary."""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import openapi_python_client
from audioshake_client import AuthenticatedClient
from audioshake_client.api.assets import upload_asset
from audioshake_client.models import Asset, UploadAssetBody
from audioshake_client.types import File

from mock_server.harness import InProcessMock
from mock_server.synth import synth_media

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "openapi" / "templates" / "endpoint_module.py.jinja"
UPSTREAM = Path(openapi_python_client.__file__).parent / "templates" / OURS.name


def test_the_override_changes_only_the_multipart_content_type() -> None:
    ours = OURS.read_text().splitlines()
    ours = ours[next(i for i, line in enumerate(ours) if line.rstrip().endswith("-#}")) + 1 :]
    diff = [
        line
        for line in difflib.unified_diff(UPSTREAM.read_text().splitlines(), ours, n=0)
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))
    ]
    removed = [line for line in diff if line.startswith("-")]
    added = [line for line in diff if line.startswith("+")]
    assert len(removed) == 2 and all("boundary=+++" in line for line in removed), diff
    assert len(added) == 2 and all("random boundary" in line for line in added), diff


def _wav_containing(marker: bytes, tmp_path: Path) -> bytes:
    data = bytearray(synth_media(tmp_path / "in.wav", 1.0, "wav", seed=1).read_bytes())
    data[1000 : 1000 + len(marker)] = marker  # inside the samples: still a valid wav
    return bytes(data)


def test_an_upload_containing_the_old_fixed_boundary_arrives_whole(tmp_path: Path) -> None:
    payload = _wav_containing(b"\r\n--+++\r\nContent-Disposition: form-data\r\n\r\n", tmp_path)
    with InProcessMock() as mock:
        client = AuthenticatedClient(
            base_url=mock.base_url, token=mock.api_key, prefix="", auth_header_name="x-api-key"
        )
        client.set_httpx_client(mock.new_client())
        sent: list[str] = []
        client.get_httpx_client().event_hooks["request"] = [
            lambda request: sent.append(request.headers["content-type"])
        ]
        body = UploadAssetBody(file=File(io.BytesIO(payload), "song.wav", "audio/wav"))
        asset = upload_asset.sync(client=client, body=body)
        again = upload_asset.sync(
            client=client, body=UploadAssetBody(file=File(io.BytesIO(payload), "song.wav"))
        )
        assert isinstance(asset, Asset) and isinstance(again, Asset)
        assert asset.size == len(payload)
        stored = mock.state.store.tenants[mock.api_key].assets[asset.id].path
        assert stored.read_bytes() == payload
    boundaries = [ct.partition("boundary=")[2] for ct in sent]
    assert all(len(b) >= 16 and b != "+++" for b in boundaries), sent
    assert boundaries[0] != boundaries[1]
