from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.webhook_registration import WebhookRegistration
from ...models.webhook_registration_request import WebhookRegistrationRequest
from ...types import Response


def _get_kwargs(
    *,
    body: WebhookRegistrationRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/webhooks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | WebhookRegistration | None:
    if response.status_code == 200:
        response_200 = WebhookRegistration.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

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
) -> Response[Error | WebhookRegistration]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: WebhookRegistrationRequest,
) -> Response[Error | WebhookRegistration]:
    """Register the account's webhook URL (unverified)

     Mentioned once in AudioShake's migration guide; no reference page exists, and the
    dashboard is the documented way. Request and response shapes are mock contract.
    Replaces any earlier URL; the response carries the signing secret.

    Args:
        body (WebhookRegistrationRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WebhookRegistration]
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
    body: WebhookRegistrationRequest,
) -> Error | WebhookRegistration | None:
    """Register the account's webhook URL (unverified)

     Mentioned once in AudioShake's migration guide; no reference page exists, and the
    dashboard is the documented way. Request and response shapes are mock contract.
    Replaces any earlier URL; the response carries the signing secret.

    Args:
        body (WebhookRegistrationRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WebhookRegistration
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: WebhookRegistrationRequest,
) -> Response[Error | WebhookRegistration]:
    """Register the account's webhook URL (unverified)

     Mentioned once in AudioShake's migration guide; no reference page exists, and the
    dashboard is the documented way. Request and response shapes are mock contract.
    Replaces any earlier URL; the response carries the signing secret.

    Args:
        body (WebhookRegistrationRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WebhookRegistration]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: WebhookRegistrationRequest,
) -> Error | WebhookRegistration | None:
    """Register the account's webhook URL (unverified)

     Mentioned once in AudioShake's migration guide; no reference page exists, and the
    dashboard is the documented way. Request and response shapes are mock contract.
    Replaces any earlier URL; the response carries the signing secret.

    Args:
        body (WebhookRegistrationRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WebhookRegistration
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
