from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.distribution_statistic import DistributionStatistic
from ...models.error import Error
from ...models.get_task_statistics_name import GetTaskStatisticsName
from ...models.usage_statistic import UsageStatistic
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    name: GetTaskStatisticsName | Unset = GetTaskStatisticsName.USAGE,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_name: str | Unset = UNSET
    if not isinstance(name, Unset):
        json_name = str(name)

    params["name"] = json_name

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tasks/statistics",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[DistributionStatistic | UsageStatistic] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:

            def _parse_response_200_item(
                data: object,
            ) -> DistributionStatistic | UsageStatistic:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_statistics_entry_type_0 = (
                        UsageStatistic.from_dict(data)
                    )

                    return componentsschemas_statistics_entry_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_statistics_entry_type_1 = (
                    DistributionStatistic.from_dict(data)
                )

                return componentsschemas_statistics_entry_type_1

            response_200_item = _parse_response_200_item(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | list[DistributionStatistic | UsageStatistic]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    name: GetTaskStatisticsName | Unset = GetTaskStatisticsName.USAGE,
) -> Response[Error | list[DistributionStatistic | UsageStatistic]]:
    """Task statistics

     `usage`: one entry per month. `distribution`: one entry per model (its shape is mock
    contract; the docs only call it "per-model usage"). Both are computed from billed
    targets. `totalMinutes` is a string, as documented.

    Args:
        name (GetTaskStatisticsName | Unset):  Default: GetTaskStatisticsName.USAGE.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[DistributionStatistic | UsageStatistic]]
    """

    kwargs = _get_kwargs(
        name=name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    name: GetTaskStatisticsName | Unset = GetTaskStatisticsName.USAGE,
) -> Error | list[DistributionStatistic | UsageStatistic] | None:
    """Task statistics

     `usage`: one entry per month. `distribution`: one entry per model (its shape is mock
    contract; the docs only call it "per-model usage"). Both are computed from billed
    targets. `totalMinutes` is a string, as documented.

    Args:
        name (GetTaskStatisticsName | Unset):  Default: GetTaskStatisticsName.USAGE.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[DistributionStatistic | UsageStatistic]
    """

    return sync_detailed(
        client=client,
        name=name,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    name: GetTaskStatisticsName | Unset = GetTaskStatisticsName.USAGE,
) -> Response[Error | list[DistributionStatistic | UsageStatistic]]:
    """Task statistics

     `usage`: one entry per month. `distribution`: one entry per model (its shape is mock
    contract; the docs only call it "per-model usage"). Both are computed from billed
    targets. `totalMinutes` is a string, as documented.

    Args:
        name (GetTaskStatisticsName | Unset):  Default: GetTaskStatisticsName.USAGE.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[DistributionStatistic | UsageStatistic]]
    """

    kwargs = _get_kwargs(
        name=name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    name: GetTaskStatisticsName | Unset = GetTaskStatisticsName.USAGE,
) -> Error | list[DistributionStatistic | UsageStatistic] | None:
    """Task statistics

     `usage`: one entry per month. `distribution`: one entry per model (its shape is mock
    contract; the docs only call it "per-model usage"). Both are computed from billed
    targets. `totalMinutes` is a string, as documented.

    Args:
        name (GetTaskStatisticsName | Unset):  Default: GetTaskStatisticsName.USAGE.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[DistributionStatistic | UsageStatistic]
    """

    return (
        await asyncio_detailed(
            client=client,
            name=name,
        )
    ).parsed
