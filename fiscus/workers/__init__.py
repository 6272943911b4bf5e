"""Background jobs run by arq workers.

Services never import from here: they buffer jobs with ``uow.enqueue(name, job_id=...,
**primitives)`` and the unit of work sends them after the commit. ``settings.py`` registers
the job functions under those names; ``run_worker`` runs a worker in the current event loop.
arq delivers at least once, so every job is idempotent and keyed by a deterministic id.
"""
