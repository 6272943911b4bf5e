"""What a job receives from arq: ``ctx`` holds the worker's ``Runtime`` and the job's
``job_id`` / ``job_try``."""

from __future__ import annotations

from typing import Any

from fiscus.runtime import Runtime

JobContext = dict[str, Any]


def runtime_of(ctx: JobContext) -> Runtime:
    runtime = ctx.get("runtime")
    if not isinstance(runtime, Runtime):
        raise RuntimeError("no Runtime in the job context: the worker's on_startup did not run")
    return runtime
