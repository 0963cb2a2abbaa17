from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_task_request import CreateTaskRequest
from ...models.error import Error
from ...models.task import Task
from ...types import Response


def _get_kwargs(
    *,
    body: CreateTaskRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/tasks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Task | None:
    if response.status_code == 200:
        response_200 = Task.from_dict(response.json())

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

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Task]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
) -> Response[Error | Task]:
    """Create a Task

     Create a Task from one media source (`url` or `assetId`, exactly one) and 1 to 20
    targets. Every target starts `processing` and ends `completed` or `error`,
    independently of its siblings. Older guides said at most 10 targets; the API
    reference and FAQ say 20.

    Args:
        body (CreateTaskRequest): Exactly one source, `url` or `assetId`. Unknown fields are
            ignored.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Task]
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
    body: CreateTaskRequest,
) -> Error | Task | None:
    """Create a Task

     Create a Task from one media source (`url` or `assetId`, exactly one) and 1 to 20
    targets. Every target starts `processing` and ends `completed` or `error`,
    independently of its siblings. Older guides said at most 10 targets; the API
    reference and FAQ say 20.

    Args:
        body (CreateTaskRequest): Exactly one source, `url` or `assetId`. Unknown fields are
            ignored.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Task
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
) -> Response[Error | Task]:
    """Create a Task

     Create a Task from one media source (`url` or `assetId`, exactly one) and 1 to 20
    targets. Every target starts `processing` and ends `completed` or `error`,
    independently of its siblings. Older guides said at most 10 targets; the API
    reference and FAQ say 20.

    Args:
        body (CreateTaskRequest): Exactly one source, `url` or `assetId`. Unknown fields are
            ignored.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Task]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
) -> Error | Task | None:
    """Create a Task

     Create a Task from one media source (`url` or `assetId`, exactly one) and 1 to 20
    targets. Every target starts `processing` and ends `completed` or `error`,
    independently of its siblings. Older guides said at most 10 targets; the API
    reference and FAQ say 20.

    Args:
        body (CreateTaskRequest): Exactly one source, `url` or `assetId`. Unknown fields are
            ignored.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Task
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
