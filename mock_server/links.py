"""Signed, expiring download links: HMAC-SHA256 over tenant + path + expiry with a
per-server secret, valid for one hour of mock time; and what a link opens. Tampered,
expired, another tenant's, past retention or naming nothing → 403."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .errors import MockError
from .outputs import OutputFiles
from .records import Asset, Target, Task, Tenant

__all__ = ["Download", "LinkSigner", "Signer", "asset_path", "open_link", "output_path"]

Signer = Callable[[str, str], str]  # (client_id, path) -> absolute signed link


def asset_path(asset: Asset) -> str:
    """The link path of an uploaded file."""
    return f"/files/assets/{asset.client_id}/{asset.id}"


def output_path(task: Task, target: Target, name: str, fmt: str) -> str:
    """The link path of one output file."""
    return f"/files/outputs/{task.client_id}/{task.id}/{target.id}/{name}.{fmt}"


class LinkSigner:
    def __init__(self, secret: bytes, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        # Keyed once; each signature copies it (cheaper than hmac.new per link).
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)

    def _sig(self, client_id: str, path: str, expires: int) -> str:
        mac = self._mac.copy()
        mac.update(f"{client_id}\n{path}\n{expires}".encode())
        return mac.hexdigest()

    def sign(self, base_url: str, client_id: str, path: str, now: float) -> str:
        """An absolute link to ``path`` (starting with /) valid until ``now + ttl``."""
        expires = int(now + self.ttl_s)
        sig = self._sig(client_id, path, expires)
        return f"{base_url}{_quote(path)}?client={client_id}&expires={expires}&sig={sig}"

    def check(self, client_id: str, path: str, expires: str, sig: str, now: float) -> str | None:
        """None when the link is good, else why it is not."""
        try:
            exp = int(expires)
        except ValueError:
            return "malformed link"
        if not hmac.compare_digest(self._sig(client_id, path, exp), sig):
            return "invalid link signature"
        if now > exp:
            return "link expired"
        return None


# A task's link paths are the same on every read: quote each once.
_quote = functools.lru_cache(maxsize=4096)(quote)


@dataclass(frozen=True, slots=True)
class Download:
    """A file a good link opens: an uploaded asset, or an output of a completed target
    (``task``/``target`` set: rendered on first download)."""

    path: Path
    filename: str | None = None
    media_type: str | None = None
    task: Task | None = None
    target: Target | None = None


def open_link(
    signer: LinkSigner,
    tenants_by_client: Mapping[str, Tenant],
    tasks_by_id: Mapping[str, Task],
    path: str,
    query: Mapping[str, str],
    now: float,
) -> Download:
    """What ``path`` with its signed ``query`` opens at ``now``, or 403 saying why not.

    Paths are those of ``asset_path`` and ``output_path``."""
    client = query.get("client", "")
    problem = signer.check(client, path, query.get("expires", ""), query.get("sig", ""), now)
    if problem is not None:
        raise MockError(403, problem)
    parts = path.split("/")[2:]
    if parts[0] == "assets" and len(parts) == 3:
        tenant = tenants_by_client.get(parts[1])
        asset = tenant.assets.get(parts[2]) if tenant else None
        if asset is None:
            raise MockError(403, "asset expired")
        return Download(asset.path, filename=asset.name)
    if parts[0] != "outputs" or len(parts) != 5:
        raise MockError(403, "invalid link")
    _, client_id, task_id, target_id, filename = parts
    task = tasks_by_id.get(task_id)
    if task is None or task.client_id != client_id:
        raise MockError(403, "invalid link")
    if task.outputs_expired:
        raise MockError(403, "output expired (outputs are kept 72 h after the task completes)")
    target = next((t for t in task.targets if t.id == target_id), None)
    output = next(
        (o for o in (target.outputs if target else []) if f"{o.name}.{o.format}" == filename),
        None,
    )
    if target is None or output is None or target.status != "completed":
        raise MockError(403, "invalid link")
    return Download(
        OutputFiles.path(task, target, filename),
        media_type=output.mime,
        task=task,
        target=target,
    )
