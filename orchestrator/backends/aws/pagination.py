"""Every list call, all pages: SageMaker returns at most 100 items per call, and code that
reads only the first page silently loses versions, steps or configs once there are more."""

from __future__ import annotations

from typing import Any


def list_all(client: Any, operation: str, result_key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of ``result_key`` over all pages of ``client.<operation>(**params)``.

    Uses botocore's paginator when the service model has one, else follows ``NextToken`` by hand;
    a token that repeats is an error rather than an endless loop.
    """
    if client.can_paginate(operation):
        pages = client.get_paginator(operation).paginate(**params)
        return [item for page in pages for item in page.get(result_key, [])]
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    token: str | None = None
    while True:
        page = getattr(client, operation)(**params, **({"NextToken": token} if token else {}))
        items.extend(page.get(result_key, []))
        token = page.get("NextToken")
        if not token:
            return items
        if token in seen:
            raise RuntimeError(f"{operation} returned the page token {token!r} twice")
        seen.add(token)
