"""The rest of the API: the model catalog, the queue listing and the generation history."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from .._checks import segment
from .._models import HistoryItem, HistoryPage, Model, QueueList, model_list
from .._params import query_params
from .._types import OMIT, Omit, Timeout

if TYPE_CHECKING:
    from .api_client import AsyncAPIClient

__all__ = ["AsyncGenerations", "AsyncModels", "AsyncQueue"]


class AsyncModels:
    """``client.models``: the catalog (``GET /ai/models``)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        *,
        developer_name: str | Omit = OMIT,
        action: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> builtins.list[Model]:
        """Every model, optionally filtered by developer or action."""
        params = query_params(developer_name=developer_name, action=action)
        return await self._client.get_parsed(
            "/ai/models",
            model_list,
            params=params,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    async def get(
        self,
        model_id: str,
        *,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> Model:
        """One model, with pricing, capabilities and its `request_schema`."""
        return await self._client.get_parsed(
            "/ai/models/" + segment(model_id, "model_id"),
            Model.model_validate,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    async def search(
        self,
        query: str,
        *,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> builtins.list[Model]:
        """Models whose name or description matches `query`."""
        return await self._client.get_parsed(
            "/ai/models/search",
            model_list,
            params={"search": query},
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )


class AsyncQueue:
    """``client.queue``: the rows of ``GET /ai/queue`` (active ones unless `status` says)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        *,
        status: str | builtins.list[str] | Omit = OMIT,
        model: str | Omit = OMIT,
        media_type: str | Omit = OMIT,
        namespace: str | Omit = OMIT,
        repo: str | Omit = OMIT,
        folder: str | Omit = OMIT,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> QueueList:
        """Queue rows; `status` is one status, a list of them, or ``"all"``."""
        params = query_params(
            status=status,
            model=model,
            media_type=media_type,
            namespace=namespace,
            repo=repo,
            folder=folder,
        )
        return await self._client.get_parsed(
            "/ai/queue",
            QueueList.model_validate,
            params=params,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )


class AsyncGenerations:
    """``client.generations``: the paginated history (``GET /ai/generations``)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def page(
        self,
        page: int = 1,
        *,
        page_size: int = 20,
        timeout: Timeout | Omit = OMIT,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> HistoryPage:
        """One page of the history, newest first."""
        return await self._client.get_parsed(
            "/ai/generations",
            HistoryPage.model_validate,
            params={"page": page, "page_size": page_size},
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            max_retries=max_retries,
        )

    async def list(
        self, *, page_size: int = 20, limit: int | None = None
    ) -> AsyncIterator[HistoryItem]:
        """Every generation, newest first, fetching each page only when the previous one is used up."""
        seen, page = 0, 1
        while True:
            batch = await self.page(page, page_size=page_size)
            for item in batch.generations:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            last = (
                batch.total_pages
                if batch.total_pages is not None
                else (page + 1 if batch.generations else page)
            )
            if page >= last or not batch.generations:
                return
            page += 1
