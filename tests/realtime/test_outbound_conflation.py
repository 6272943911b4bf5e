"""A socket's outbound queue: bounded, and latest-wins per symbol of a split subscription."""

from __future__ import annotations

from fiscus.transport.websocket.outbound import OutboundQueue


def drain(queue: OutboundQueue) -> list[tuple[str | None, str]]:
    frames = []
    while (item := queue.get_nowait()) is not None:
        frames.append(item)
    return frames


def test_a_flood_of_one_symbol_keeps_one_frame_per_symbol_and_never_loses_another():
    queue = OutboundQueue(capacity=4)
    queue.put_next("1", "MSFT 1", "MSFT")
    for n in range(1, 1001):
        queue.put_next("1", f"AAPL {n}", "AAPL")
    assert len(queue) == 2
    assert drain(queue) == [("1", "MSFT 1"), ("1", "AAPL 1000")]
    assert queue.conflated == 999


def test_event_frames_without_a_key_stay_bounded_and_keep_the_newest():
    queue = OutboundQueue(capacity=4)
    for n in range(10):
        queue.put_next("1", f"event {n}")
    queue.put_control("complete")
    assert [frame for _, frame in drain(queue)] == [
        "event 6",
        "event 7",
        "event 8",
        "event 9",
        "complete",
    ]


def test_more_symbols_than_capacity_drop_the_oldest_and_the_bound_holds():
    queue = OutboundQueue(capacity=3)
    for symbol in ["A", "B", "C", "D", "E"]:
        queue.put_next("1", f"{symbol} 1", symbol)
    queue.put_next("1", "E 2", "E")
    assert drain(queue) == [("1", "C 1"), ("1", "D 1"), ("1", "E 2")]
    queue.put_next("1", "A 2", "A")  # the dropped keys' bookkeeping was cleared too
    assert drain(queue) == [("1", "A 2")]
