"""Every job run is counted by outcome and timed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq import Retry

from fiscus.observability.metrics import REGISTRY
from fiscus.workers.settings import measured


def runs(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("fiscus_job_runs_total", {"job": "probe_job", "outcome": outcome})
        or 0.0
    )


def timed() -> float:
    return (
        REGISTRY.get_sample_value("fiscus_job_duration_seconds_count", {"job": "probe_job"}) or 0.0
    )


async def probe_job(ctx: dict[str, Any], *, behaviour: str) -> str:
    if behaviour == "retry":
        raise Retry(defer=1)
    if behaviour == "fail":
        raise ValueError("broken")
    if behaviour == "hang":
        await asyncio.sleep(60)
    return "done"


@pytest.mark.parametrize(
    ("behaviour", "outcome", "raised"),
    [
        ("succeed", "ok", None),
        ("retry", "retry", Retry),
        ("fail", "error", ValueError),
    ],
)
async def test_job_runs_are_counted_by_outcome(
    behaviour: str, outcome: str, raised: type[BaseException] | None
) -> None:
    job = measured("probe_job", probe_job)
    before, timed_before = runs(outcome), timed()

    if raised is None:
        assert await job({}, behaviour=behaviour) == "done"
    else:
        with pytest.raises(raised):
            await job({}, behaviour=behaviour)

    assert runs(outcome) == before + 1
    assert timed() == timed_before + 1


async def test_a_job_cut_off_by_its_timeout_counts_as_cancelled() -> None:
    job = measured("probe_job", probe_job)
    before = runs("cancelled")

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(job({}, behaviour="hang"), 0.05)

    assert runs("cancelled") == before + 1
