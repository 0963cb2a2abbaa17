"""Links and secrets in URLs: output links rewritten to pass through the proxy (and back),
and the redaction of signed URLs' signature and key parameters before anything is
written to disk.

A rewritten link encodes the original in its path, so it needs no table:
``https://cdn.example/a/b.wav?Signature=…`` becomes
``{proxy}/_proxy/link/https/cdn.example/a/b.wav?Signature=…``. The proxy forwards only
to the origins (scheme and host) it rewrote a link to in this session."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "LINK_PREFIX",
    "REDACTED",
    "SECRET_FIELDS",
    "SECRET_PARAMS",
    "original_link",
    "redact_json",
    "redact_url",
    "rewrite_links",
    "rewrite_links_raw",
]

LINK_PREFIX = "/_proxy/link/"
REDACTED = "REDACTED"
# Query parameters that carry a signature or a key: the mock's (``sig``; mock_server.links),
# CloudFront's (``Signature``, ``Key-Pair-Id``, ``Policy``), S3's and GCS's presigned
# URLs, and the usual names of keys and tokens. Compared lower-cased.
SECRET_PARAMS = frozenset(
    {
        "sig",
        "signature",
        "key-pair-id",
        "policy",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "awsaccesskeyid",
        "token",
        "access_token",
        "key",
        "api_key",
        "apikey",
        "x-api-key",
    }
)
# JSON fields whose value is a secret (the webhook registration's signing secret).
SECRET_FIELDS = frozenset({"secret", "apikey", "api_key", "x-api-key", "token"})


def rewrite_links(body: Any, proxy_base: str, origins: set[str]) -> Any:
    """``body`` with each absolute http(s) ``link`` field pointing through the proxy;
    the origins rewritten to are added to ``origins``."""
    if isinstance(body, list):
        return [rewrite_links(v, proxy_base, origins) for v in body]
    if not isinstance(body, dict):
        return body
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name == "link" and isinstance(value, str):
            parts = urlsplit(value)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
                query = f"?{parts.query}" if parts.query else ""
                fragment = f"#{parts.fragment}" if parts.fragment else ""
                value = f"{proxy_base}{LINK_PREFIX}{parts.scheme}/{parts.netloc}{parts.path}{query}{fragment}"
        out[name] = rewrite_links(value, proxy_base, origins)
    return out


_LINK_KEY = b'"link"'
# A "link" key (in JSON text a key's closing quote follows its last letter; inside a
# string it would be escaped) and the scheme and host of its http(s) URL value.
_LINK_FIELD = re.compile(rb'"link"(\s*:\s*")(https?)://([^/"\\?#\s]+)')


def rewrite_links_raw(body: bytes, proxy_base: str, origins: set[str]) -> bytes | None:
    """``rewrite_links`` on JSON text: each ``link`` field's URL through the proxy, every
    other byte as it came (a fifth of the cost of parsing, walking and dumping). None
    when some ``link`` field is not a plain http(s) URL string (null, an escaped slash,
    the word as a value): ``rewrite_links`` on the parsed body decides then."""
    base = f"{proxy_base}{LINK_PREFIX}".encode()
    found = 0

    def swap(m: re.Match[bytes]) -> bytes:
        nonlocal found
        found += 1
        scheme, host = m.group(2), m.group(3)
        origins.add(f"{scheme.decode()}://{host.decode('latin-1')}")
        return b'"link"' + m.group(1) + base + scheme + b"/" + host

    out = _LINK_FIELD.sub(swap, body)
    return out if found == body.count(_LINK_KEY) else None


def original_link(raw_path: str, query: str) -> tuple[str, str]:
    """(origin, URL) of a rewritten link's request path; ValueError when it is not one."""
    rest = raw_path[len(LINK_PREFIX) :]
    scheme, _, rest = rest.partition("/")
    netloc, slash, path = rest.partition("/")
    if scheme not in ("http", "https") or not netloc or not slash:
        raise ValueError(f"not a rewritten link: {raw_path}")
    origin = f"{scheme}://{netloc}"
    return origin, f"{origin}/{path}" + (f"?{query}" if query else "")


def redact_url(url: str) -> str:
    """``url`` with the values of signature and key parameters replaced by ``REDACTED``
    (other parameters, their order and the rest of the URL kept)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in SECRET_PARAMS for k, _ in pairs):
        return url
    query = urlencode([(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def redact_json(body: Any) -> Any:
    """``body`` with signed URLs redacted (``redact_url``) in every string and the values
    of secret fields (``SECRET_FIELDS``) replaced."""
    if isinstance(body, list):
        return [redact_json(v) for v in body]
    if isinstance(body, dict):
        return {
            k: REDACTED if k.lower() in SECRET_FIELDS and isinstance(v, str) else redact_json(v)
            for k, v in body.items()
        }
    if isinstance(body, str) and "://" in body and "?" in body:
        return redact_url(body)
    return body
