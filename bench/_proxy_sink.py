"""The upstream of the proxy's memory bench: ``POST /assets`` reads the body and throws
it away, answering an Asset with the byte count; ``GET /files/big.wav?size=N`` streams
N zero bytes as audio/wav. Nothing is kept, so only the proxy's memory is measured.

    python bench/_proxy_sink.py PORT
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

CHUNK = b"\x00" * (1 << 20)


async def upload(request: Request) -> Response:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    body = {"id": "sink", "format": "wav", "name": "big.wav", "size": size}
    return Response(orjson.dumps(body), media_type="application/json")


async def download(request: Request) -> Response:
    size = int(request.query_params.get("size", "0"))

    async def zeros() -> AsyncIterator[bytes]:
        left = size
        while left > 0:
            chunk = CHUNK[: min(left, len(CHUNK))]
            left -= len(chunk)
            yield chunk

    return StreamingResponse(zeros(), media_type="audio/wav", headers={"content-length": str(size)})


app = Starlette(
    routes=[
        Route("/assets", upload, methods=["POST"]),
        Route("/files/big.wav", download, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
