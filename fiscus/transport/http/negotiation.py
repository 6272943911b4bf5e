"""Choosing the response media type, and writing JSON responses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from starlette.responses import Response

from fiscus.transport.json_encoding import encode

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


# --- content negotiation ------------------------------------------------------------


def _media_ranges(accept: str) -> Iterator[tuple[str, float]]:
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            yield media.lower(), quality


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None (406)."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    explicit: dict[str, float] = {}
    wildcard = 0.0
    for media, quality in _media_ranges(accept):
        if media in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
            explicit[media] = max(explicit.get(media, 0.0), quality)
        elif media in ("*/*", "application/*"):
            wildcard = max(wildcard, quality)
    best = max(explicit.values(), default=0.0)
    if best > 0 and best >= wildcard:
        if explicit.get(GRAPHQL_RESPONSE_JSON, 0.0) == best:
            return GRAPHQL_RESPONSE_JSON
        return APPLICATION_JSON
    return APPLICATION_JSON if wildcard > 0 else None


def accepts_html(accept: str | None) -> bool:
    return any(media == "text/html" and q > 0 for media, q in _media_ranges(accept or ""))


# --- responses -----------------------------------------------------------------------


def json_response(
    payload: Mapping[str, Any],
    status: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = encode(payload)
    return Response(
        body,
        status_code=status,
        headers={"Vary": "Accept", **(headers or {})},
        media_type=f"{media_type}; charset=utf-8",
    )
