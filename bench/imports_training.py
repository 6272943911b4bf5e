"""Training an organization's suggestion model on 50,000 labelled lines, and how well it
suggests.

Synthetic household lines (tests' and the demo's generator: store numbers, card dates,
processor prefixes, a few merchants selling two kinds of things) with their true categories.
Measured in one run:

- the model's own training (``fiscus.domain.categorization.suggestions.train``: hashed
  features, TF-IDF, the held-out fit on the older 80 % measured on the newest 20 %, then the
  fit on everything, stored as arrays) — wall time and the held-out accuracy it reports;
- the same through the service (``train_model``: the labels read from the database under the
  organization's context, trained in a worker thread, stored): 50,000 lines imported into a
  scratch database with rules, so their categories are labels;
- the floor: hashing the features and one fit of the same classifier, nothing else;
- the suggestions' accuracy on 5,000 fresh lines of later dates.

    PYTHONPATH=. python bench/imports_training.py [--labels 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from harness import bench_settings, scratch  # type: ignore[import-not-found]

from fiscus.config import with_jwt_secret
from fiscus.domain.categorization import (
    LineFacts,
    RuleActions,
    RuleConditions,
    TextCondition,
    TextField,
    TextOperator,
    clean_payee,
)
from fiscus.domain.categorization import suggestions as model
from fiscus.domain.imports.samples import chase_checking_csv, sample_lines
from fiscus.persistence.migrate import upgrade
from fiscus.runtime import Runtime
from fiscus.services.categorization import rules, suggestions
from fiscus.services.categorization.rules import RuleSpec
from fiscus.services.identity.auth import sign_up
from fiscus.services.imports import running, statements
from fiscus.services.ledger import accounts


def labelled(count: int, start: date, seed: int) -> list[model.Labelled]:
    payees: dict[str, str] = {}
    account = uuid.UUID(int=1)
    return [
        model.Labelled(
            LineFacts(
                line.description,
                payees.setdefault(line.description, clean_payee(line.description)),
                line.amount,
                account,
                line.date,
            ),
            uuid.UUID(int=int(line.category)),
        )
        for line in sample_lines(start, count, seed=seed)
    ]


async def through_service(count: int) -> tuple[float, int, float | None]:
    """(seconds, labels, accuracy) of ``train_model`` on ``count`` imported, rule-labelled
    lines."""
    async with scratch("training") as (database, prefix):
        settings = with_jwt_secret(bench_settings(database, prefix, Path(tempfile.mkdtemp())))
        await asyncio.to_thread(upgrade, settings)
        runtime = await Runtime.open(settings)
        try:
            account = await sign_up(
                runtime.identity,
                email="bench@bench.example",
                password="bench-password-123",
                display_name="Bench",
                organization_name="Bench Org",
            )
            owner = runtime.identity.tokens.decode(account.access_token)
            chart = {
                a.code: a.id
                for a in await accounts.apply_account_template(
                    runtime.ledger, owner, template="household", currency="USD"
                )
            }
            lines = sample_lines(date(2022, 1, 1), count, seed=7)
            # A rule per (exact description, category) of the history: every line a label.
            seen: dict[str, str] = {}
            for line in lines:
                seen.setdefault(line.description.split(" #")[0][:24], line.category)
            for text, code in list(seen.items())[:400]:
                await rules.create_rule(
                    runtime.categorization,
                    owner,
                    RuleSpec(
                        text,
                        RuleConditions(
                            text=(
                                TextCondition(
                                    TextField.DESCRIPTION, TextOperator.STARTS_WITH, text
                                ),
                            )
                        ),
                        RuleActions(chart[code]),
                    ),
                )
            started = await statements.start_import(
                runtime.imports,
                owner,
                account_id=chart["1010"],
                upload=statements.Upload(chase_checking_csv(lines), "history.csv"),
                enqueue=False,
            )
            await running.run_import(runtime.imports, owner.org_id, started.id)
            began = time.perf_counter()
            trained = await suggestions.train_model(runtime.categorization, owner.org_id)
            seconds = time.perf_counter() - began
        finally:
            await runtime.close()
    assert trained is not None
    return seconds, trained.labels, trained.accuracy


def main(count: int) -> None:
    history = labelled(count, date(2022, 1, 1), seed=7)
    started = time.perf_counter()
    trained = model.train(history)
    train_seconds = time.perf_counter() - started
    assert trained is not None

    started = time.perf_counter()
    raw = model._raw_features([item.facts for item in history])
    idf = model._idf(raw)
    model._fit(model._weighted(raw, idf), np.array([str(i.category) for i in history]))
    floor_seconds = time.perf_counter() - started

    later = labelled(5_000, date(2022, 1, 1) + timedelta(days=count // 3 + 30), seed=99)
    loaded = model.SuggestionModel(trained.blob)
    started = time.perf_counter()
    answers = loaded.suggest([item.facts for item in later])
    suggest_seconds = time.perf_counter() - started
    right = sum(1 for a, item in zip(answers, later, strict=True) if a and a[0] == item.category)
    confident = [(a, item) for a, item in zip(answers, later, strict=True) if a and a[1] >= 0.5]
    confident_right = sum(1 for a, item in confident if a[0] == item.category)

    service_seconds, service_labels, service_accuracy = asyncio.run(through_service(count))
    print(f"imports_training: {count:,} labelled lines, {trained.classes} categories")
    print(
        f"  train (domain)      {train_seconds:6.2f} s  (held-out {trained.held_out:,} newest "
        f"lines: accuracy {trained.accuracy:.4f}; model {len(trained.blob) / 1024:.0f} KiB) "
        f"(target: under 10 s)"
    )
    print(
        f"  train (service)     {service_seconds:6.2f} s  ({service_labels:,} labels read from the "
        f"database, stored after; accuracy {service_accuracy:.4f})"
    )
    print(f"  floor: features + one fit {floor_seconds:6.2f} s")
    print(
        f"  suggest 5,000 later lines {suggest_seconds:6.2f} s: right {right / len(later):.4f}; "
        f"confidence >= 0.5 on {len(confident) / len(later):.1%} of them, right "
        f"{confident_right / max(len(confident), 1):.4f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=50_000)
    main(parser.parse_args().labels)
