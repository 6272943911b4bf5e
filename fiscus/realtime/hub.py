"""Process-local fan-out of Redis pub/sub channels to many local subscribers.

One Redis pub/sub connection and one reader task per process. Each channel is subscribed in
Redis once, however many local subscribers it has, and unsubscribed when the last one leaves.
Each subscriber has a bounded queue; when it is full the oldest message is dropped (the
latest value wins), so a slow subscriber never grows memory.

Ordering contract for a new subscriber: the Redis subscription is confirmed first, then the
snapshot is read and yielded first, then live messages with a higher sequence number. Pub/sub
is at-most-once: after a reconnect every subscriber whose channel moved on receives the
current snapshot again (resync). Sequence numbers may skip (conflation, outages); they never
go backwards except when Redis lost its data, which a resync detects and accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict, deque
from types import TracebackType
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker, Envelope, decode_envelope
from fiscus.realtime.channels import Channel
from fiscus.realtime.interest import InterestRegistry

logger = logging.getLogger(__name__)

_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class Subscription:
    """``async with hub.subscribe(channel) as events: async for envelope in events: ...``"""

    def __init__(
        self, hub: Hub, channel: Channel, queue_size: int, *, replay_snapshot: bool = True
    ) -> None:
        self.channel = channel
        self.replay_snapshot = replay_snapshot
        self.dropped = 0
        self._hub = hub
        self._queue: deque[Envelope] = deque(maxlen=queue_size)
        self._wakeup = asyncio.Event()
        self._last_seq = 0
        self._closed = False

    async def __aenter__(self) -> Subscription:
        await self._hub._attach(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._hub._detach(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Envelope:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._queue.popleft()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _offer(self, envelope: Envelope) -> None:
        if envelope.seq > self._last_seq:
            self._push(envelope)

    def _prime(self, snapshot: Envelope | None) -> None:
        """Put the snapshot first and forget live messages it already contains."""
        if snapshot is None:
            return
        newer = [queued for queued in self._queue if queued.seq > snapshot.seq]
        self._queue.clear()
        if self.replay_snapshot:
            self._queue.append(snapshot)
        self._queue.extend(newer)
        self._last_seq = max(self._last_seq, snapshot.seq)
        self._wakeup.set()

    def _resync(self, snapshot: Envelope | None) -> None:
        if snapshot is None:
            # The value is gone (expired, or Redis lost its data): accept any sequence again.
            self._last_seq = 0
        elif snapshot.seq != self._last_seq:
            # Lower than what we saw means Redis lost its data and the sequence restarted.
            if self.replay_snapshot:
                self._push(snapshot)
            else:
                self._last_seq = snapshot.seq

    def _push(self, envelope: Envelope) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            metrics.messages_dropped.inc()
        self._queue.append(envelope)
        self._last_seq = envelope.seq
        self._wakeup.set()

    def _close(self) -> None:
        self._closed = True
        self._wakeup.set()


class _ChannelState:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.subscribers: set[Subscription] = set()
        self.confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.needs_resync = False


class Hub:
    def __init__(
        self,
        redis: aioredis.Redis,
        broker: Broker,
        queue_size: int,
        *,
        min_backoff_seconds: float = 0.05,
        max_backoff_seconds: float = 5.0,
        interest: InterestRegistry | None = None,
    ) -> None:
        """``interest``: the process's registry of watched symbols; every ``price`` channel
        with a local subscriber is registered in it (the streamer streams their union)."""
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._redis = redis
        self._broker = broker
        self._prefix = broker.prefix
        self._queue_size = queue_size
        self._min_backoff = min_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._channels: dict[str, _ChannelState] = {}
        self._pending_acks: defaultdict[str, int] = defaultdict(int)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._interest = interest
        self._stopping = False
        self.reconnects = 0

    async def start(self) -> None:
        if self._reader is not None:
            raise RuntimeError("Hub already started")
        self._stopping = False
        self._reader = asyncio.create_task(self._run(), name="realtime-hub-reader")

    async def stop(self) -> None:
        self._stopping = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._discard_pubsub()
        for state in self._channels.values():
            if not state.confirmed.done():
                state.confirmed.set_result(None)
            for subscription in state.subscribers:
                subscription._close()
        self._channels.clear()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def subscribe(self, channel: Channel, *, replay_snapshot: bool = True) -> Subscription:
        """``replay_snapshot=False`` for event streams (an activity feed), where the last
        event is history rather than current state: only events after subscribing arrive."""
        return Subscription(self, channel, self._queue_size, replay_snapshot=replay_snapshot)

    @property
    def local_channel_count(self) -> int:
        return len(self._channels)

    # -- subscriber lifecycle ------------------------------------------------------------

    async def _attach(self, subscription: Subscription) -> None:
        if self._reader is None or self._stopping:
            raise RuntimeError("Hub is not running")
        redis_name = channels.redis_channel(self._prefix, subscription.channel)
        state = self._channels.get(redis_name)
        if state is None:
            state = _ChannelState(subscription.channel)
            self._channels[redis_name] = state
            self._watch(subscription.channel, True)
            await self._send_subscribe([redis_name])
        state.subscribers.add(subscription)
        try:
            await asyncio.shield(state.confirmed)
            if self._stopping:
                subscription._close()
                return
            subscription._prime(await self._broker.snapshot(subscription.channel))
        except BaseException:
            await self._detach(subscription)
            raise

    async def _detach(self, subscription: Subscription) -> None:
        subscription._close()
        redis_name = channels.redis_channel(self._prefix, subscription.channel)
        state = self._channels.get(redis_name)
        if state is None or subscription not in state.subscribers:
            return
        state.subscribers.discard(subscription)
        if state.subscribers:
            return
        del self._channels[redis_name]
        self._watch(state.channel, False)
        if not state.confirmed.done():
            state.confirmed.set_result(None)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await pubsub.unsubscribe(redis_name)

    def _watch(self, channel: Channel, watched: bool) -> None:
        symbol = channels.price_symbol(channel) if self._interest is not None else None
        if symbol is None or self._interest is None:
            return
        if watched:
            self._interest.add(symbol)
        else:
            self._interest.discard(symbol)

    async def _send_subscribe(self, redis_names: list[str]) -> None:
        pubsub = self._pubsub
        if pubsub is None or not redis_names:
            return  # the reader subscribes every channel when it (re)connects
        for name in redis_names:
            self._pending_acks[name] += 1
        try:
            await pubsub.subscribe(*redis_names)
        except _CONNECTION_ERRORS:
            logger.info("realtime hub: subscribe failed, the reader will reconnect")

    # -- the reader ----------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self._min_backoff
        first = True
        while not self._stopping:
            try:
                await self._connect(resync=not first)
                first = False
                backoff = self._min_backoff
                await self._read_forever()
            except _CONNECTION_ERRORS as error:
                self._connected.clear()
                logger.warning("realtime hub: Redis connection lost (%s); reconnecting", error)
                await self._discard_pubsub()
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, self._max_backoff)

    async def _connect(self, *, resync: bool) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.connect()  # type: ignore[no-untyped-call]
        self._pubsub = pubsub
        self._pending_acks.clear()
        if resync:
            self.reconnects += 1
            for state in self._channels.values():
                state.needs_resync = True
        self._connected.set()
        await self._send_subscribe(list(self._channels))

    async def _discard_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read_forever(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None:
                await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        redis_name = _text(message["channel"])
        if kind == "message":
            self._dispatch(redis_name, message["data"])
        elif kind == "subscribe":
            await self._acknowledge(redis_name)

    def _dispatch(self, redis_name: str, data: bytes | str) -> None:
        state = self._channels.get(redis_name)
        if state is None:
            return
        try:
            envelope = decode_envelope(state.channel, data)
        except (ValueError, KeyError, TypeError):
            logger.exception("realtime hub: malformed message on %s", redis_name)
            return
        for subscription in state.subscribers:
            subscription._offer(envelope)

    async def _acknowledge(self, redis_name: str) -> None:
        remaining = self._pending_acks[redis_name] - 1
        self._pending_acks[redis_name] = max(remaining, 0)
        state = self._channels.get(redis_name)
        if state is None or remaining > 0:
            return
        if not state.confirmed.done():
            state.confirmed.set_result(None)
        if state.needs_resync:
            state.needs_resync = False
            snapshot = await self._broker.snapshot(state.channel)
            for subscription in list(state.subscribers):
                subscription._resync(snapshot)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
