"""Signed links: valid for one hour of mock time, bound to tenant and path."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from mock_server.links import LinkSigner


def parts(link: str) -> tuple[str, dict[str, str]]:
    u = urlsplit(link)
    return u.path, {k: v[0] for k, v in parse_qs(u.query).items()}


def test_fresh_link_is_good_and_expires_after_one_hour() -> None:
    signer = LinkSigner(b"s" * 32, 3600)
    path, q = parts(signer.sign("http://m", "client1", "/files/outputs/a/b/c/bass.wav", 1000.0))
    assert signer.check(q["client"], path, q["expires"], q["sig"], 1000.0) is None
    assert signer.check(q["client"], path, q["expires"], q["sig"], 4600.0) is None
    assert signer.check(q["client"], path, q["expires"], q["sig"], 4601.0) == "link expired"


def test_tampering_with_any_part_is_refused() -> None:
    signer = LinkSigner(b"s" * 32, 3600)
    path, q = parts(signer.sign("http://m", "client1", "/files/outputs/a/b/c/bass.wav", 0.0))
    bad = "invalid link signature"
    assert signer.check("client2", path, q["expires"], q["sig"], 0) == bad
    assert (
        signer.check(q["client"], path.replace("bass", "drums"), q["expires"], q["sig"], 0) == bad
    )
    assert signer.check(q["client"], path, str(int(q["expires"]) + 9999), q["sig"], 0) == bad
    assert signer.check(q["client"], path, "soon", q["sig"], 0) == "malformed link"
    other = LinkSigner(b"t" * 32, 3600)
    assert other.check(q["client"], path, q["expires"], q["sig"], 0) == bad
