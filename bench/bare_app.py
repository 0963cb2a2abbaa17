"""The ceiling of our stack: one bare Starlette route per endpoint on uvicorn (httptools,
uvloop) with orjson, no middleware, no state, no checks.

``GET /tasks/{id}`` answers the same completed 3-target task the mock serves, with its
three output links freshly HMAC-SHA256 signed on every request (as the mock signs them);
``GET /models`` answers the mock's catalog. Both documents are read once, at start-up,
from a JSON file the bench wrote: ``{"task": {...}, "models": {...}}``.

    python bench/bare_app.py FIXTURE.json PORT
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TTL_S = 3600


def _sign(secret: bytes, client_id: str, base: str, path: str, expires: int) -> str:
    msg = f"{client_id}\n{path}\n{expires}".encode()
    sig = hmac.new(secret, msg, hashlib.sha256).hexdigest()
    return f"{base}{path}?client={client_id}&expires={expires}&sig={sig}"


def build(fixture: dict[str, Any]) -> Starlette:
    secret = secrets.token_bytes(32)
    task = fixture["task"]
    client_id = task["clientId"]
    # (base URL, path) of every link the task carries, in order.
    links = []
    for target in task["targets"]:
        for out in target["output"]:
            parts = urlsplit(out["link"])
            links.append((f"{parts.scheme}://{parts.netloc}", parts.path))
    models = fixture["models"]

    async def get_task(request: Request) -> Response:
        expires = int(time.time() + TTL_S)
        signed = iter([_sign(secret, client_id, base, path, expires) for base, path in links])
        body = {**task, "id": request.path_params["id"]}
        body["targets"] = [
            {**t, "output": [{**o, "link": next(signed)} for o in t["output"]]}
            for t in task["targets"]
        ]
        return Response(orjson.dumps(body), media_type="application/json")

    async def list_models(request: Request) -> Response:
        return Response(orjson.dumps(models), media_type="application/json")

    return Starlette(
        routes=[
            Route("/tasks/{id}", get_task, methods=["GET"]),
            Route("/models", list_models, methods=["GET"]),
        ]
    )


def main() -> None:
    fixture_path, port = sys.argv[1], int(sys.argv[2])
    with open(fixture_path, "rb") as fh:
        fixture = orjson.loads(fh.read())
    print(f"bare route serving on http://127.0.0.1:{port}", flush=True)
    uvicorn.run(
        build(fixture),
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
