"""The floor for the organization dashboard: a hand-written Starlette + asyncpg endpoint that
answers fiscus's dashboard query (bench/portfolio_dashboard.py) byte for byte with ONE SQL
query that builds the whole JSON document in PostgreSQL; no GraphQL.

It gives the guarantees fiscus gives for that query, and nothing more (as bench/me_floor.py
does for ``me``): the same JWT checks; one read-only transaction as the application role
(row-level security applies) begun with the tenant context in one round trip; the session
must be live and the caller a member (checked in the same query as the data). The prices
and figures follow fiscus's rules (docs/PORTFOLIOS.md) for what the bench data holds:
global instruments in the portfolio's currency (no FX, no manual instruments).

    python bench/portfolio_floor.py --port 8123 --database-url postgresql://fiscus_app:...@host/db \
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

BEGIN = (
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
    "SELECT set_config('app.org_id', '{org}', true), set_config('app.user_id', '{user}', true)"
)

# $1 session, $2 user, $3 organization, $4 page size. Relay ids are base64url of
# "Type:uuid" (64 characters: no line break from encode()).
DASHBOARD = """
WITH access AS (
  SELECT s.revoked_at IS NULL AND s.expires_at > now() AS live, m.role
  FROM auth_sessions s
  LEFT JOIN memberships m ON m.org_id = $3 AND m.user_id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2),
page AS (
  SELECT id, name, base_currency, cash, created_at FROM portfolios
  WHERE org_id = $3 AND NOT archived ORDER BY created_at, id LIMIT $4),
held AS (
  SELECT v.*, sum(v.market_value) OVER (PARTITION BY v.portfolio_id) AS invested
  FROM (
    SELECT h.portfolio_id, h.quantity, h.cost_basis, i.id AS instrument_id, i.symbol,
           i.name, i.currency, p.close,
           COALESCE(round(h.quantity * p.close, 4), h.cost_basis) AS market_value,
           round(h.quantity * (p.close - p.previous), 4) AS day_change
    FROM portfolio_holdings h
    JOIN instruments i ON i.id = h.instrument_id
    LEFT JOIN LATERAL (
      SELECT d.close,
             (SELECT o.close FROM daily_prices o
              WHERE o.instrument_id = d.instrument_id AND o.day < d.day
              ORDER BY o.day DESC LIMIT 1) AS previous
      FROM daily_prices d
      WHERE d.instrument_id = h.instrument_id AND d.day <= current_date
      ORDER BY d.day DESC LIMIT 1) AS p ON true
    WHERE h.org_id = $3 AND h.portfolio_id IN (SELECT id FROM page)) AS v)
SELECT (SELECT live FROM access), (SELECT role FROM access),
  json_build_object('data', json_build_object('portfolios', json_build_object('edges',
    COALESCE((
      SELECT json_agg(json_build_object('node', json_build_object(
        'id', translate(encode(convert_to('Portfolio:' || p.id, 'UTF8'), 'base64'), '+/', '-_'),
        'name', p.name,
        'baseCurrency', p.base_currency,
        'cash', p.cash::text,
        'holdings', COALESCE((
          SELECT json_agg(json_build_object(
            'quantity', x.quantity::text,
            'costBasis', x.cost_basis::text,
            'marketValue', x.market_value::text,
            'unrealizedGain', (x.market_value - x.cost_basis)::text,
            'dayChange', x.day_change::text,
            'weight', (CASE WHEN x.invested = 0 THEN 0
                            ELSE round(x.market_value / x.invested, 10) END)::text,
            'price', x.close::text,
            'instrument', json_build_object(
              'id', translate(encode(convert_to('Instrument:' || x.instrument_id, 'UTF8'),
                                     'base64'), '+/', '-_'),
              'symbol', x.symbol,
              'name', x.name,
              'currency', x.currency))
            ORDER BY x.market_value DESC, x.symbol, x.instrument_id)
          FROM held x WHERE x.portfolio_id = p.id), '[]'::json)))
        ORDER BY p.created_at, p.id)
      FROM page p), '[]'::json))))::text
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

    async def dashboard(request: Request) -> Response:
        body = json.loads(await request.body())
        if "portfolios" not in body.get("query", ""):
            return JSONResponse({"errors": [{"message": "only the dashboard is served"}]}, 400)
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
            await connection.execute(BEGIN.format(org=org_id, user=user_id))
            try:
                row = await connection.fetchrow(DASHBOARD, session_id, user_id, org_id, 20)
            finally:
                await connection.execute("ROLLBACK")
        if row is None or not row[0] or row[1] is None:
            return unauthenticated("Your session has ended; log in again.")
        return Response(row[2], media_type="application/json")

    return Starlette(routes=[Route("/graphql", dashboard, methods=["POST"])], lifespan=lifespan)


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
