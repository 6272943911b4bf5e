"""Plaid over HTTP (httpx, asynchronous: never blocks the event loop). Amounts arrive as JSON
numbers and are read as Decimal (``parse_float=Decimal``), never as floats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from fiscus.config import ImportsSettings

SYNC_PAGE = 500


class PlaidError(Exception):
    """Plaid answered with an error object (or not at all)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class SyncPage:
    added: list[dict[str, Any]] = field(default_factory=list)
    modified: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


class PlaidClient:
    def __init__(
        self, settings: ImportsSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport

    @property
    def configured(self) -> bool:
        return bool(self._settings.plaid_client_id and self._settings.plaid_secret)

    def _credentials(self) -> dict[str, str]:
        if not self.configured:
            raise PlaidError("NOT_CONFIGURED", "Plaid's client id and secret are not configured.")
        assert self._settings.plaid_secret is not None
        return {
            "client_id": self._settings.plaid_client_id or "",
            "secret": self._settings.plaid_secret.get_secret_value(),
        }

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=self._settings.plaid_base_url,
            timeout=self._settings.plaid_timeout_seconds,
            transport=self._transport,
        ) as http:
            try:
                response = await http.post(path, json={**self._credentials(), **body})
            except httpx.HTTPError as error:
                raise PlaidError("UNREACHABLE", f"Plaid did not answer: {error}") from None
        try:
            payload: dict[str, Any] = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise PlaidError(
                "BAD_RESPONSE", "Plaid answered something other than JSON.", response.status_code
            ) from None
        if response.status_code != 200 or "error_code" in payload:
            raise PlaidError(
                str(payload.get("error_code") or "HTTP_ERROR"),
                str(payload.get("error_message") or f"HTTP {response.status_code}"),
                response.status_code,
            )
        return payload

    async def exchange_public_token(self, public_token: str) -> tuple[str, str]:
        """(access token, item id) for a public token from Plaid Link."""
        found = await self._post("/item/public_token/exchange", {"public_token": public_token})
        return str(found["access_token"]), str(found["item_id"])

    async def transactions_sync(self, access_token: str, cursor: str | None) -> SyncPage:
        body: dict[str, Any] = {"access_token": access_token, "count": SYNC_PAGE}
        if cursor:
            body["cursor"] = cursor
        found = await self._post("/transactions/sync", body)
        return SyncPage(
            added=list(found.get("added") or []),
            modified=list(found.get("modified") or []),
            removed=list(found.get("removed") or []),
            next_cursor=str(found.get("next_cursor") or ""),
            has_more=bool(found.get("has_more")),
        )

    async def webhook_verification_key(self, key_id: str) -> dict[str, Any]:
        found = await self._post("/webhook_verification_key/get", {"key_id": key_id})
        key: dict[str, Any] = found["key"]
        return key
