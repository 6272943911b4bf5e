"""The floor for `{ me { ... } }`: a hand-written Starlette + asyncpg endpoint, no GraphQL.

It gives the same guarantees fiscus gives for that query, and nothing more:
* the bearer token is decoded with pyjwt and the same checks (HS256 pinned; iss, aud, exp,
  iat, sub, jti required; token type "access");
* one read-only transaction as the application role (row-level security applies), with
  the tenant context set for it (``app.org_id`` / ``app.user_id``);
* the session must be live and the caller's *current* role is read from the database;
* the user and the organization are read, and the same JSON document is answered.

Run by ``bench/me_throughput.py`` next to ``fiscus serve`` in the same run:

    python bench/me_floor.py --port 8123 --database-url postgresql://fiscus_app:...@host/db \
        --secret ... [--issuer fiscus --audience fiscus-api]
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SET_CONTEXT = "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)"
ACCESS_CHECK = """
SELECT s.revoked_at IS NULL AND s.expires_at > now() AS live, m.role
FROM auth_sessions s
LEFT JOIN memberships m ON m.org_id = $3 AND m.user_id = s.user_id
WHERE s.id = $1 AND s.user_id = $2
"""
USER_AND_ORG = """
SELECT u.email, u.display_name, o.name
FROM users u, organizations o
WHERE u.id = $1 AND o.id = $2
"""


def unauthenticated(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return JSONResponse(body, status_code=401)


def build_app(database_url: str, secret: str, issuer: str, audience: str) -> Starlette:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(database_url, min_size=10, max_size=10)
        try:
            yield
        finally:
            await state["pool"].close()

    async def me(request: Request) -> Response:
        body = json.loads(await request.body())
        if "me" not in body.get("query", ""):
            return JSONResponse({"errors": [{"message": "only `me` is served"}]}, 400)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return unauthenticated("Authentication required.")
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
            if claims.get("typ") != "access":
                raise jwt.InvalidTokenError("type")
            user_id = uuid.UUID(claims["sub"])
            org_id = uuid.UUID(claims["org"])
            session_id = uuid.UUID(claims["sid"])
        except (jwt.PyJWTError, KeyError, ValueError):
            return unauthenticated("The access token is invalid.")
        async with state["pool"].acquire() as connection:
            async with connection.transaction(readonly=True):
                await connection.execute(SET_CONTEXT, str(org_id), str(user_id))
                access = await connection.fetchrow(ACCESS_CHECK, session_id, user_id, org_id)
                if access is None or not access["live"] or access["role"] is None:
                    return unauthenticated("Your session has ended; log in again.")
                row = await connection.fetchrow(USER_AND_ORG, user_id, org_id)
        data = {
            "me": {
                "role": access["role"].upper(),
                "user": {"email": row["email"], "displayName": row["display_name"]},
                "organization": {"name": row["name"]},
            }
        }
        return JSONResponse({"data": data})

    return Starlette(routes=[Route("/graphql", me, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--issuer", default="fiscus")
    parser.add_argument("--audience", default="fiscus-api")
    args = parser.parse_args()
    app = build_app(args.database_url, args.secret, args.issuer, args.audience)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
