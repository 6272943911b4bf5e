"""Publishing to Redis pub/sub with per-channel sequence numbers and a last-value snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis

from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.realtime.channels import Channel

# One atomic step: the sequence number, the snapshot and the published message always agree.
# The JSON documents are assembled here so that they carry the sequence number Redis assigned.
_PUBLISH_SCRIPT = """
local seq = tostring(redis.call('INCR', KEYS[1]))
local message = '{"seq":' .. seq .. ',"ts":' .. ARGV[2] .. ',"payload":' .. ARGV[1] .. '}'
local snapshot = '{"seq":' .. seq .. ',"published_at":' .. ARGV[2]
    .. ',"payload":' .. ARGV[1] .. '}'
redis.call('SET', KEYS[2], snapshot, 'EX', ARGV[3])
redis.call('PUBLISH', ARGV[4], message)
return seq
"""

# The same for several messages in one call (one round trip): KEYS are (sequence, snapshot)
# pairs, ARGV the timestamp, the TTL, then (payload, channel) pairs, in the same order.
_PUBLISH_MANY_SCRIPT = """
local seqs = {}
for i = 1, #KEYS / 2 do
  local seq = tostring(redis.call('INCR', KEYS[2 * i - 1]))
  local payload = ARGV[2 * i + 1]
  local message = '{"seq":' .. seq .. ',"ts":' .. ARGV[1] .. ',"payload":' .. payload .. '}'
  local snapshot = '{"seq":' .. seq .. ',"published_at":' .. ARGV[1]
      .. ',"payload":' .. payload .. '}'
  redis.call('SET', KEYS[2 * i], snapshot, 'EX', ARGV[2])
  redis.call('PUBLISH', ARGV[2 * i + 2], message)
  seqs[i] = seq
end
return seqs
"""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One published value. ``seq`` grows by one per publish on its channel."""

    channel: Channel
    seq: int
    payload: dict[str, Any]
    published_at: float


class Publisher(Protocol):
    """What the unit of work needs to flush its events after a successful commit."""

    async def publish(self, channel: Channel, payload: dict[str, Any]) -> Any: ...

    async def publish_many(self, events: Sequence[tuple[Channel, dict[str, Any]]]) -> Any: ...


def encode_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def decode_envelope(channel: Channel, raw: bytes | str) -> Envelope:
    """Parse a published message or a snapshot (they differ only in the timestamp's key)."""
    document = json.loads(raw)
    published_at = document.get("ts", document.get("published_at"))
    return Envelope(
        channel=channel,
        seq=int(document["seq"]),
        payload=document["payload"],
        published_at=float(published_at),
    )


class Broker:
    def __init__(self, redis: aioredis.Redis, prefix: str, snapshot_ttl: int) -> None:
        if snapshot_ttl <= 0:
            raise ValueError("snapshot_ttl must be a positive number of seconds")
        self._redis = redis
        self._prefix = prefix
        self._snapshot_ttl = snapshot_ttl
        self._publish_script = redis.register_script(_PUBLISH_SCRIPT)
        self._publish_many_script = redis.register_script(_PUBLISH_MANY_SCRIPT)

    @property
    def prefix(self) -> str:
        return self._prefix

    async def publish(self, channel: Channel, payload: dict[str, Any]) -> Envelope:
        """Publish ``payload`` (a JSON object). Call only after the database commit."""
        published_at = time.time()
        seq = await self._publish_script(
            keys=[
                channels.sequence_key(self._prefix, channel),
                channels.snapshot_key(self._prefix, channel),
            ],
            args=[
                encode_payload(payload),
                f"{published_at:.6f}",
                self._snapshot_ttl,
                channels.redis_channel(self._prefix, channel),
            ],
        )
        metrics.messages_published.labels(channel_kind=channel.kind).inc()
        return Envelope(channel=channel, seq=int(seq), payload=payload, published_at=published_at)

    async def publish_many(
        self, events: Sequence[tuple[Channel, dict[str, Any]]]
    ) -> list[Envelope]:
        """``publish`` for each event, in order, in one round trip (one script call)."""
        if not events:
            return []
        published_at = time.time()
        keys: list[str] = []
        args: list[Any] = [f"{published_at:.6f}", self._snapshot_ttl]
        for channel, payload in events:
            keys += [
                channels.sequence_key(self._prefix, channel),
                channels.snapshot_key(self._prefix, channel),
            ]
            args += [encode_payload(payload), channels.redis_channel(self._prefix, channel)]
        seqs = await self._publish_many_script(keys=keys, args=args)
        for channel, _ in events:
            metrics.messages_published.labels(channel_kind=channel.kind).inc()
        return [
            Envelope(channel=channel, seq=int(seq), payload=payload, published_at=published_at)
            for (channel, payload), seq in zip(events, seqs, strict=True)
        ]

    async def snapshot(self, channel: Channel) -> Envelope | None:
        raw = await self._redis.get(channels.snapshot_key(self._prefix, channel))
        return None if raw is None else decode_envelope(channel, raw)

    async def snapshots(self, channel_list: list[Channel]) -> list[Envelope | None]:
        """Snapshots of many channels in one round trip (used to resync after an outage)."""
        if not channel_list:
            return []
        keys = [channels.snapshot_key(self._prefix, channel) for channel in channel_list]
        raws = await self._redis.mget(keys)
        return [
            None if raw is None else decode_envelope(channel, raw)
            for channel, raw in zip(channel_list, raws, strict=True)
        ]
