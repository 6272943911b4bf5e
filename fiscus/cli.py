"""The ``fiscus`` command: serve, worker, stream, migrate, demo, schema.

With no ``FISCUS_DATABASE_URL`` / ``FISCUS_REDIS_URL``, ``serve``, ``worker``, ``migrate``
and ``demo`` start embedded PostgreSQL and Redis under ``FISCUS_DATA_DIR`` (see
``fiscus.embedded``), so ``fiscus serve`` alone runs the whole product on a fresh machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from types import FrameType
from typing import Any

from fiscus.config import Settings, with_jwt_secret
from fiscus.demo import DEMO_EMAIL, DEMO_ORGANIZATION, DEMO_PASSWORD, seed_demo
from fiscus.observability.logging import configure_logging

logger = logging.getLogger("fiscus.cli")

GRACEFUL_SHUTDOWN_SECONDS = 10
GC_THRESHOLDS = (20_000, 50, 1_000)
"""The cyclic collector's thresholds once ``serve`` runs: a young collection every 20,000
container allocations (not 700), so objects living a few milliseconds (frames waiting for a
socket, a tick's execution) die young instead of reaching the old generation, whose full
sweeps walk every connection's objects. bench/price_fanout.py, 1,000 sockets: p99 194 ms
with a 186 ms full collection -> 62 ms, and 25.7 -> 21.9 us of CPU per message."""

StopCallback = Callable[[bool], None]


class SignalRelay:
    """SIGINT/SIGTERM raise ``KeyboardInterrupt`` (so ``with`` blocks stop the embedded
    servers) until a graceful stop is registered; then the first signal calls it with
    ``force=False`` and any further one with ``force=True``."""

    def __init__(self) -> None:
        self._stop: StopCallback | None = None
        self._received = 0

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    @contextlib.contextmanager
    def graceful(self, stop: StopCallback) -> Iterator[None]:
        self._stop, self._received = stop, 0
        try:
            yield
        finally:
            self._stop = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._received += 1
        if self._stop is None:
            raise KeyboardInterrupt
        logger.info("received %s, shutting down", signal.Signals(signum).name)
        self._stop(self._received > 1)


SIGNALS = SignalRelay()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    SIGNALS.install()
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fiscus", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (and, embedded, the worker)")
    serve.add_argument("--host", help="bind address (default FISCUS_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FISCUS_PORT, 8000)")
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="run the background worker in this process (always on, embedded)",
    )
    serve.add_argument("--demo", action="store_true", help="create the demo account first")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="skip upgrading the schema (a separate `fiscus migrate` step did)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        help="proxies trusted for X-Forwarded-* (uvicorn's; default "
        "FORWARDED_ALLOW_IPS or 127.0.0.1)",
    )
    serve.set_defaults(handler=serve_command)

    worker = commands.add_parser("worker", help="run the background job worker")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.set_defaults(handler=worker_command)

    stream = commands.add_parser(
        "stream",
        help="run the live-price streamer (one is active per deployment; others stand by)",
    )
    stream.set_defaults(handler=stream_command)

    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(handler=migrate_command)

    demo = commands.add_parser("demo", help=f"create the demo account ({DEMO_EMAIL})")
    demo.set_defaults(handler=demo_command)

    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(handler=schema_command)

    from fiscus.cli_import import add_import_command

    add_import_command(commands, statement_import_command)
    return parser


# -- commands ---------------------------------------------------------------------------


def serve_command(args: argparse.Namespace) -> int:
    base = Settings()
    settings = base.model_copy(
        update={
            "host": args.host or base.host,
            "port": args.port if args.port is not None else base.port,
        }
    )
    configure_logging(settings)
    with services(settings) as settings:
        settings = with_jwt_secret(settings)
        if args.migrate:
            migrate(settings)
        ensure_graphiql_assets(settings)
        run_worker = args.with_worker or base.embedded
        run_streamer = (
            settings.streamer.embedded if settings.streamer.embedded is not None else base.embedded
        )
        run_on_fast_loop(_serve(settings, args, run_worker=run_worker, run_streamer=run_streamer))
    return 0


def worker_command(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    with services(settings) as settings:
        settings = with_jwt_secret(settings)
        run_on_fast_loop(_work(settings, burst=args.burst))
    return 0


def stream_command(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    with services(settings) as settings:
        settings = with_jwt_secret(settings)
        run_on_fast_loop(_stream(settings))
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    with services(settings) as settings:
        migrate(settings, args.revision)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    with services(settings) as settings:
        settings = with_jwt_secret(settings)
        migrate(settings)
        created = asyncio.run(seed_demo(settings, backfill_now=True))
    print(demo_instructions(settings, created=created))
    return 0


def statement_import_command(args: argparse.Namespace) -> int:
    from fiscus.cli_import import import_command

    settings = Settings()
    configure_logging(settings)
    with services(settings) as settings:
        return import_command(args, settings)


def schema_command(args: argparse.Namespace) -> int:
    from fiscus.resolvers.root import build_schema

    print(build_schema().as_str())
    return 0


# -- building blocks --------------------------------------------------------------------


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Settings]:
    """The settings with database and Redis URLs: configured ones, else embedded servers
    that stop when the block exits."""
    if not settings.embedded:
        yield settings
        return
    from fiscus.embedded import EmbeddedServices

    with EmbeddedServices(settings) as embedded_settings:
        yield embedded_settings


def migrate(settings: Settings, revision: str = "head") -> None:
    from fiscus.persistence.migrate import upgrade

    logger.info("migrating the database to %s", revision)
    upgrade(settings, revision)


def ensure_graphiql_assets(settings: Settings) -> None:
    """GraphiQL's JS/CSS come from the npm registry (``FISCUS_NPM_REGISTRY`` overrides it).
    Offline, the API still works; only the GraphiQL page cannot load until fetched."""
    if not settings.graphiql_enabled:
        return
    from fiscus.app import graphiql_asset_directory
    from fiscus.transport.assets import DEFAULT_REGISTRY, ensure_assets

    destination = graphiql_asset_directory(settings)
    registry = os.environ.get("FISCUS_NPM_REGISTRY", DEFAULT_REGISTRY)
    try:
        ensure_assets(destination, registry)
    except (OSError, RuntimeError, ValueError) as error:
        logger.warning(
            "GraphiQL assets could not be fetched from %s (%s). The API works, but the "
            "GraphiQL page will not load until you run: python -m fiscus.transport.assets %s",
            registry,
            error,
            destination,
        )


def demo_instructions(settings: Settings, *, created: bool) -> str:
    state = "created" if created else "already present"
    return (
        f"Demo account {state}: {DEMO_EMAIL} / {DEMO_PASSWORD} "
        f'(organization "{DEMO_ORGANIZATION}").\n'
        f"Log in at {graphql_url(settings)} with:\n"
        f'  mutation {{ logIn(input: {{email: "{DEMO_EMAIL}", password: "{DEMO_PASSWORD}"}}) '
        "{ ... on AuthPayload { accessToken } } }\n"
        "then send the header  Authorization: Bearer <accessToken>  and query { me { role } }.\n"
        "Market data: { instruments(first: 50) { edges { node { symbol "
        "latestPrice { close asOf } } } } }\n"
        'Live prices: subscription { priceUpdates(symbols: ["AAPL", "BTC-USD"]) { symbol price } }'
    )


def graphql_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}/graphql"


# -- the event loop ---------------------------------------------------------------------


def run_on_fast_loop(main: Coroutine[Any, Any, None]) -> None:
    """uvloop where it is installed (uvicorn[standard] brings it on Linux and macOS), else
    the stdlib loop. ``fiscus serve`` starts its loop before uvicorn would pick one, so the
    choice is made here."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


class _Server:
    """uvicorn's server without its own signal handling (it re-raises a caught SIGTERM
    after shutdown, which would kill the process before the embedded servers stop), and
    with a callback once it listens."""

    def __init__(self, config: Any, on_started: Callable[[], None]) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:
                    # What startup built (schema, settings, pools, caches) lives as long as
                    # the process: keep it out of the cyclic collector's full sweeps, which
                    # otherwise walk all of it and show as latency spikes under load.
                    gc.collect()
                    gc.freeze()
                    gc.set_threshold(*GC_THRESHOLDS)
                    on_started()

        self.server = Server(config)

    def stop(self, force: bool) -> None:
        self.server.should_exit = True
        if force:
            self.server.force_exit = True


async def _serve(
    settings: Settings, args: argparse.Namespace, *, run_worker: bool, run_streamer: bool
) -> None:
    import uvicorn

    from fiscus.app import create_app

    created = await seed_demo(settings, backfill_now=False) if args.demo else False
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        lifespan="on",
        ws="auto",
        ws_max_size=settings.realtime.max_message_bytes,
        ws_per_message_deflate=settings.realtime.per_message_deflate,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        access_log=args.access_log,
        log_config=None,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    banner = [f"fiscus is up: GraphiQL and the API at {graphql_url(settings)}"]
    if args.demo:
        banner.append(demo_instructions(settings, created=created))
    server = _Server(config, lambda: print("\n".join(banner), flush=True))
    companions = []
    if run_worker:
        companions.append(asyncio.create_task(_worker_task(settings), name="worker"))
    if run_streamer:
        streaming = _streamer_task(settings, required=False)
        companions.append(asyncio.create_task(streaming, name="streamer"))
    with SIGNALS.graceful(server.stop):
        try:
            await _until_either_ends(asyncio.create_task(server.server.serve()), companions, server)
        finally:
            for companion in companions:
                await _cancel(companion)


async def _until_either_ends(
    serving: asyncio.Task[None], companions: list[asyncio.Task[None]], server: _Server
) -> None:
    """A worker or streamer that dies takes the server down with it (and vice versa): one
    command is one complete system, never a half-working one."""
    done, _ = await asyncio.wait({serving, *companions}, return_when=asyncio.FIRST_COMPLETED)
    stopped = [task for task in companions if task in done]
    if stopped and not serving.done():
        logger.error("the %s stopped; shutting the server down", stopped[0].get_name())
        server.stop(False)
        await serving
    for task in done:
        task.result()


async def _work(settings: Settings, *, burst: bool) -> None:
    task = asyncio.create_task(_worker_task(settings, burst=burst))
    loop = asyncio.get_running_loop()

    def stop(force: bool) -> None:
        loop.call_soon_threadsafe(task.cancel)

    with SIGNALS.graceful(stop):
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _stream(settings: Settings) -> None:
    task = asyncio.create_task(_streamer_task(settings, required=True))
    loop = asyncio.get_running_loop()

    def stop(force: bool) -> None:
        loop.call_soon_threadsafe(task.cancel)

    with SIGNALS.graceful(stop):
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _streamer_task(settings: Settings, *, required: bool) -> None:
    """The streamer on the runtime's market-data provider. Without one, ``fiscus stream``
    fails and ``fiscus serve`` runs without live prices (and says so)."""
    from fiscus.runtime import Runtime
    from fiscus.services.marketdata.live import build_streamer

    runtime = await Runtime.open(settings)
    try:
        provider = runtime.marketdata.provider
        if provider is None:
            if required:
                raise SystemExit("no market-data provider is configured: nothing to stream")
            logger.warning("no market-data provider is configured: no live prices")
            await asyncio.Event().wait()
            return
        logger.info(
            "streamer: live prices from %s (standby until it holds the lease)", provider.name
        )
        await build_streamer(settings, runtime.redis, runtime.broker, provider.stream).run()
    finally:
        await runtime.close()


async def _worker_task(settings: Settings, *, burst: bool = False) -> None:
    from fiscus.workers.settings import run_worker

    await run_worker(settings, burst=burst)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    sys.exit(main())
