"""An in-process Plaid: the endpoints fiscus calls, answering with the recorded responses of
tests/fixtures/plaid/ (Plaid's wire shape), served by a real uvicorn on a loopback port. It
signs webhooks the way Plaid does (ES256 JWT over the body's SHA-256) with a key it serves
at /webhook_verification_key/get."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.live_server import LiveServer

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "plaid"
CLIENT_ID = "5e8d1f0c2b3a4d0012ab34cd"
SECRET = "c1f3e9b2a7d64f0e8b5a2c9d1e0f7a6b"
PUBLIC_TOKEN = "public-sandbox-b0e2c4ee-a763-4df5-bfe9-46a46bce993d"


def recorded(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text())
    return found


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


class FakePlaid:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updated = False
        """After ``publish_update``: the second sync sees the update page."""
        self.mutate_once = False
        """The next request for page 2 fails with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION."""
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "alg": "ES256",
            "created_at": int(time.time()) - 3600,
            "crv": "P-256",
            "expired_at": None,
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64(numbers.x),
            "y": _b64(numbers.y),
        }
        self.access_token = recorded("item_public_token_exchange")["access_token"]

    def _error(self, name: str) -> JSONResponse:
        return JSONResponse(recorded(name), status_code=400)

    async def _body(self, request: Request) -> dict[str, Any] | JSONResponse:
        body: dict[str, Any] = await request.json()
        self.calls.append((request.url.path, body))
        if body.get("client_id") != CLIENT_ID or body.get("secret") != SECRET:
            return JSONResponse(
                {
                    "error_code": "INVALID_API_KEYS",
                    "error_message": "invalid client_id or secret provided",
                    "error_type": "INVALID_INPUT",
                    "display_message": None,
                    "request_id": "x",
                },
                status_code=400,
            )
        return body

    async def exchange(self, request: Request) -> JSONResponse:
        body = await self._body(request)
        if isinstance(body, JSONResponse):
            return body
        if body.get("public_token") != PUBLIC_TOKEN:
            return self._error("error_invalid_public_token")
        return JSONResponse(recorded("item_public_token_exchange"))

    async def sync(self, request: Request) -> JSONResponse:
        body = await self._body(request)
        if isinstance(body, JSONResponse):
            return body
        if body.get("access_token") != self.access_token:
            return JSONResponse(
                {
                    "error_code": "INVALID_ACCESS_TOKEN",
                    "error_message": "provided access token is in an invalid format.",
                    "error_type": "INVALID_INPUT",
                    "display_message": None,
                    "request_id": "x",
                },
                status_code=400,
            )
        page1, page2 = recorded("sync_page_1"), recorded("sync_page_2")
        update = recorded("sync_update")
        cursor = body.get("cursor")
        if cursor is None:
            return JSONResponse(page1)
        if cursor == page1["next_cursor"]:
            if self.mutate_once:
                self.mutate_once = False
                return self._error("error_sync_mutation")
            return JSONResponse(page2)
        if cursor == page2["next_cursor"] and self.updated:
            return JSONResponse(update)
        empty = recorded("sync_empty")
        empty["next_cursor"] = cursor
        return JSONResponse(empty)

    async def verification_key(self, request: Request) -> JSONResponse:
        body = await self._body(request)
        if isinstance(body, JSONResponse):
            return body
        if body.get("key_id") != self.kid:
            return JSONResponse(
                {
                    "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                    "error_message": "invalid key_id provided.",
                    "error_type": "INVALID_INPUT",
                    "display_message": None,
                    "request_id": "x",
                },
                status_code=400,
            )
        return JSONResponse({"key": self.jwk, "request_id": "RZ6Omi1bzzwDaLo"})

    def sign(self, body: bytes, *, issued: float | None = None, key: Any = None) -> str:
        claims = {
            "iat": int(issued if issued is not None else time.time()),
            "request_body_sha256": hashlib.sha256(body).hexdigest(),
        }
        return jwt.encode(
            claims, key or self.key, algorithm="ES256", headers={"kid": self.kid, "typ": "JWT"}
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/item/public_token/exchange", self.exchange, methods=["POST"]),
                Route("/transactions/sync", self.sync, methods=["POST"]),
                Route("/webhook_verification_key/get", self.verification_key, methods=["POST"]),
            ]
        )


@contextmanager
def serving() -> Iterator[tuple[FakePlaid, str]]:
    fake = FakePlaid()
    with LiveServer(fake.app()) as live:
        yield fake, live.url
