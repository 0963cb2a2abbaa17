"""Signed download links (outputs and uploaded sources). Not API calls: no key, not
rate limited, not journaled. Whether a link is good is the store's to say; outputs are
rendered on first download, in a worker thread. ``Range`` → 206."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..store import Store


async def download(store: Store, request: Request) -> Response:
    opened = store.open_link(request.url.path, request.query_params)
    if opened.task is None:
        return FileResponse(opened.path, filename=opened.filename)
    # one worker-thread hop for the render and the stat FileResponse would do itself
    stat = await run_in_threadpool(store.fetch, opened)
    return FileResponse(opened.path, media_type=opened.media_type, stat_result=stat)
