"""Learned category suggestions: a linear classifier over an organization's own labelled
lines.

Features (hashed, so the model needs no vocabulary): character 3-5-grams of the cleaned
payee, the description's words, and tokens for the direction and the size of the amount
(``__out``, ``__amt7`` = 2^7..2^8 in the account's currency). TF-IDF weights them; a
one-vs-rest logistic regression trained by SGD (scikit-learn) scores the categories; the
confidence is the winner's share of the normalized scores.

Accuracy is measured before the model is used: the newest ``HOLD_OUT`` share of the labelled
lines (by date: tomorrow's lines are what the model will meet) is held out, a model trained
on the rest predicts them, and the share it gets right is the reported accuracy. The model
kept is then trained on every labelled line.

A trained model is plain arrays (``numpy.savez``, loaded with ``allow_pickle=False``): the
IDF weights and the sparse coefficients, never a pickled object, so a stored model can carry
no code.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from fiscus.domain.categorization.rules import LineFacts

MODEL_VERSION = 1
HOLD_OUT = 0.2
MIN_LABELS = 20
"""Fewer labelled lines than this: no model (suggestions need something to learn from)."""
MIN_HELD_OUT = 10
N_FEATURES = 2**18
_CHARS = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(3, 5),
    n_features=N_FEATURES,
    alternate_sign=False,
    norm=None,
    lowercase=True,
)
_WORDS = HashingVectorizer(
    analyzer="word",
    token_pattern=r"\S+",
    n_features=N_FEATURES,
    alternate_sign=False,
    norm=None,
    lowercase=True,
)


@dataclass(frozen=True, slots=True)
class Labelled:
    facts: LineFacts
    category: UUID


@dataclass(frozen=True, slots=True)
class TrainedModel:
    blob: bytes
    labels: int
    held_out: int
    accuracy: float | None
    classes: int
    seconds: float


def _words(facts: LineFacts) -> str:
    size = abs(float(facts.amount))
    bucket = int(math.log2(size + 1))
    direction = "__in" if facts.amount > 0 else "__out"
    return f"{facts.description} {direction} __amt{bucket} {direction}{bucket}"


def _hashed(vectorizer: HashingVectorizer, texts: list[str]) -> sp.csr_matrix:
    """Each distinct text hashed once (a statement repeats its payees thousands of times)."""
    distinct: dict[str, int] = {}
    rows = [distinct.setdefault(text, len(distinct)) for text in texts]
    matrix: sp.csr_matrix = vectorizer.transform(list(distinct))
    return sp.csr_matrix(matrix[rows])


def _raw_features(facts: Sequence[LineFacts]) -> sp.csr_matrix:
    chars = _hashed(_CHARS, [f.payee for f in facts])
    words = _hashed(_WORDS, [_words(f) for f in facts])
    return sp.csr_matrix(chars + words)


def _idf(raw: sp.csr_matrix) -> np.ndarray:
    n = raw.shape[0]
    df = np.bincount(raw.indices, minlength=raw.shape[1]).astype(np.float64)
    idf: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


def _weighted(raw: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    x = raw.astype(np.float32)
    x.data = np.log1p(x.data) * idf[x.indices]  # sublinear tf x idf
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def _fit(x: sp.csr_matrix, y: np.ndarray) -> SGDClassifier:
    # A few passes suffice once there are many lines; small histories get more.
    epochs = 5 if x.shape[0] >= 10_000 else 15
    model = SGDClassifier(
        loss="log_loss", alpha=2e-5, max_iter=epochs, tol=None, random_state=0, n_jobs=2
    )
    model.fit(x, y)
    return model


def train(labelled: Sequence[Labelled]) -> TrainedModel | None:
    """None when there is too little to learn from (fewer than ``MIN_LABELS`` lines or a
    single category). ``labelled`` in any order; the hold-out is the newest lines."""
    if len(labelled) < MIN_LABELS:
        return None
    started = time.perf_counter()
    ordered = sorted(labelled, key=lambda item: item.facts.date)
    y = np.array([str(item.category) for item in ordered])
    if len(set(y.tolist())) < 2:
        return None
    raw = _raw_features([item.facts for item in ordered])
    held = int(len(ordered) * HOLD_OUT)
    accuracy: float | None = None
    if held >= MIN_HELD_OUT and len(set(y[:-held].tolist())) >= 2:
        train_raw, test_raw = raw[:-held], raw[-held:]
        idf = _idf(train_raw)
        trial = _fit(_weighted(train_raw, idf), y[:-held])
        predicted = trial.predict(_weighted(test_raw, idf))
        accuracy = float(np.mean(predicted == y[-held:]))
    else:
        held = 0
    idf = _idf(raw)
    final = _fit(_weighted(raw, idf), y)
    coef = sp.csr_matrix(final.coef_.astype(np.float32))
    if len(final.classes_) == 2:  # a binary model keeps one row: the second class's
        coef = sp.csr_matrix(sp.vstack([-coef, coef]))
        intercept = np.array([-final.intercept_[0], final.intercept_[0]], dtype=np.float32)
    else:
        intercept = final.intercept_.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        version=np.array([MODEL_VERSION]),
        classes=np.array(final.classes_, dtype="<U36"),
        idf=idf,
        coef_data=coef.data,
        coef_indices=coef.indices,
        coef_indptr=coef.indptr,
        intercept=intercept,
    )
    return TrainedModel(
        buffer.getvalue(),
        len(ordered),
        held,
        accuracy,
        len(final.classes_),
        time.perf_counter() - started,
    )


class SuggestionModel:
    """A trained model, loaded from its arrays; answers (category, confidence) per line."""

    def __init__(self, blob: bytes) -> None:
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            if int(arrays["version"][0]) != MODEL_VERSION:
                raise ValueError("a model of another version: retrain")
            self.classes = [UUID(c) for c in arrays["classes"].tolist()]
            self.idf = arrays["idf"]
            self.coef = sp.csr_matrix(
                (arrays["coef_data"], arrays["coef_indices"], arrays["coef_indptr"]),
                shape=(len(self.classes), N_FEATURES),
            )
            self.intercept = arrays["intercept"]

    def suggest(self, facts: Sequence[LineFacts]) -> list[tuple[UUID, float] | None]:
        if not facts:
            return []
        x = _weighted(_raw_features(facts), self.idf)
        scores = np.asarray((x @ self.coef.T).todense()) + self.intercept
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(scores, -30, 30)))
        totals = probabilities.sum(axis=1)
        totals[totals == 0] = 1.0
        shares = probabilities / totals[:, None]
        best = shares.argmax(axis=1)
        return [(self.classes[int(k)], float(shares[i, k])) for i, k in enumerate(best.tolist())]
