from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.asset import Asset
from ...models.error import Error
from ...models.upload_asset_body import UploadAssetBody
from ...types import Response


def _get_kwargs(
    *,
    body: UploadAssetBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/assets",
    }

    _kwargs["files"] = body.to_multipart()

    # httpx writes Content-Type with a random boundary for files= bodies

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Asset | Error | None:
    if response.status_code == 200:
        response_200 = Asset.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = Error.from_dict(response.json())

        return response_402

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Asset | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadAssetBody,
) -> Response[Asset | Error]:
    """Upload a file

     Multipart upload of one file (field `file`), at most 2 GiB. Assets expire after 72
    hours and are then deleted. Uploads need a positive credit balance (non-enterprise).
    Media: wav, aiff, flac, mp3, aac/m4a, mp4, mov; transcripts for alignment: txt, json.
    The type is decided by content (mock contract).

    Args:
        body (UploadAssetBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Asset | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: UploadAssetBody,
) -> Asset | Error | None:
    """Upload a file

     Multipart upload of one file (field `file`), at most 2 GiB. Assets expire after 72
    hours and are then deleted. Uploads need a positive credit balance (non-enterprise).
    Media: wav, aiff, flac, mp3, aac/m4a, mp4, mov; transcripts for alignment: txt, json.
    The type is decided by content (mock contract).

    Args:
        body (UploadAssetBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Asset | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadAssetBody,
) -> Response[Asset | Error]:
    """Upload a file

     Multipart upload of one file (field `file`), at most 2 GiB. Assets expire after 72
    hours and are then deleted. Uploads need a positive credit balance (non-enterprise).
    Media: wav, aiff, flac, mp3, aac/m4a, mp4, mov; transcripts for alignment: txt, json.
    The type is decided by content (mock contract).

    Args:
        body (UploadAssetBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Asset | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: UploadAssetBody,
) -> Asset | Error | None:
    """Upload a file

     Multipart upload of one file (field `file`), at most 2 GiB. Assets expire after 72
    hours and are then deleted. Uploads need a positive credit balance (non-enterprise).
    Media: wav, aiff, flac, mp3, aac/m4a, mp4, mov; transcripts for alignment: txt, json.
    The type is decided by content (mock contract).

    Args:
        body (UploadAssetBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Asset | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
