"""The process's shared resources, built the same way by the API and by workers:
engine and sessionmaker, Redis, broker, job queue and the services' contexts (identity,
market data, ledger, portfolios)."""

from __future__ import annotations

import functools
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import redis.asyncio as aioredis
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from fiscus.config import Settings
from fiscus.marketdata.registry import ProviderRegistry
from fiscus.observability.metrics import ProviderCallMetrics
from fiscus.persistence.database import Database
from fiscus.persistence.reads.scope import ReadScopes
from fiscus.persistence.statements import install_statement_counter
from fiscus.persistence.uow import Effects, UnitOfWorkFactory
from fiscus.realtime.broker import Broker
from fiscus.services.attachments.store import FilesystemStore
from fiscus.services.budgets import alerts
from fiscus.services.categorization.context import CategorizationContext
from fiscus.services.credentials import AccessTokens, Clock, PasswordHasher, utcnow
from fiscus.services.identity.context import IdentityContext
from fiscus.services.imports.context import ImportsContext
from fiscus.services.imports.plaid.client import PlaidClient
from fiscus.services.imports.plaid.webhooks import VerificationKeys
from fiscus.services.ledger.context import LedgerContext, PostingHook
from fiscus.services.marketdata.context import MarketDataContext
from fiscus.services.planning import PlanningContext
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.throttling import Throttle, auth_limits

REPLAY_PROCESSES = 1


def job_serializer(value: dict[str, Any]) -> bytes:
    """arq job payloads are JSON (never pickle): ids and primitives only."""
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def job_deserializer(raw: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(raw)
    return decoded


def replay_pool() -> ProcessPoolExecutor:
    """Processes replaying big portfolio histories (started on first use, spawned: they
    share nothing with this process but the code)."""
    return ProcessPoolExecutor(max_workers=REPLAY_PROCESSES, mp_context=get_context("spawn"))


def queue_name(settings: Settings) -> str:
    return f"{settings.redis.prefix}:queue"


def arq_redis_settings(settings: Settings) -> RedisSettings:
    if settings.redis.url is None:
        raise RuntimeError("redis.url is not set (embedded services not started?)")
    return RedisSettings.from_dsn(settings.redis.url)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    redis: aioredis.Redis
    broker: Broker
    queue: ArqRedis
    identity: IdentityContext
    marketdata: MarketDataContext
    providers: ProviderRegistry
    ledger: LedgerContext
    portfolios: PortfolioContext
    planning: PlanningContext
    categorization: CategorizationContext
    imports: ImportsContext

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock = utcnow) -> Runtime:
        """``clock`` is the one time source of the identity services and of access-token
        checks; tests inject a controllable one to cross expiry instants."""
        if settings.redis.url is None:
            raise RuntimeError("redis.url is not set (embedded services not started?)")
        db = Database.connect(settings.database)
        install_statement_counter(db.engine)
        read_pool = await db.open_read_pool(settings.database)
        await db.open_write_pool(settings.database)
        redis = aioredis.Redis.from_url(settings.redis.url)
        broker = Broker(redis, settings.redis.prefix, settings.realtime.snapshot_ttl_seconds)
        queue = await create_pool(
            arq_redis_settings(settings),
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            default_queue_name=queue_name(settings),
        )
        uow = UnitOfWorkFactory(db, Effects(publisher=broker, jobs=queue))
        reads = ReadScopes(read_pool)
        identity = IdentityContext(
            settings=settings,
            uow=uow,
            reads=reads,
            hasher=PasswordHasher(),
            tokens=AccessTokens(settings.auth, clock),
            throttle=Throttle(redis, settings.redis.prefix, auth_limits(settings.auth)),
            clock=clock,
        )
        providers = ProviderRegistry.from_settings(settings, observer=ProviderCallMetrics())
        marketdata = MarketDataContext(
            settings=settings, uow=uow, reads=reads, clock=clock, broker=broker, provider=providers
        )
        # One list of hooks for every copy of the ledger's context: budgets and goals react
        # to postings made anywhere (the ledger's own mutations included).
        hooks: list[PostingHook] = []
        ledger = LedgerContext(
            settings=settings, uow=uow, reads=reads, clock=clock, after_posting=hooks
        )
        portfolios = PortfolioContext(
            settings=settings, uow=uow, reads=reads, clock=clock, replay_pool=replay_pool()
        )
        planning = PlanningContext(
            settings=settings,
            uow=uow,
            reads=reads,
            clock=clock,
            after_posting=hooks,
            store=FilesystemStore(settings.data_dir / "attachments"),
        )
        hooks.append(functools.partial(alerts.after_posting, planning))
        categorization = CategorizationContext(settings=settings, uow=uow, reads=reads, clock=clock)
        plaid = PlaidClient(settings.imports)
        imports = ImportsContext(
            settings=settings,
            uow=uow,
            reads=reads,
            clock=clock,
            categorization=categorization,
            broker=broker,
            plaid=plaid,
            verification_keys=VerificationKeys(plaid.webhook_verification_key),
        )
        return cls(
            settings,
            db,
            redis,
            broker,
            queue,
            identity,
            marketdata,
            providers,
            ledger,
            portfolios,
            planning,
            categorization,
            imports,
        )

    async def close(self) -> None:
        if self.portfolios.replay_pool is not None:
            self.portfolios.replay_pool.shutdown(wait=False, cancel_futures=True)
        await self.queue.aclose()
        await self.redis.aclose()
        await self.db.dispose()
