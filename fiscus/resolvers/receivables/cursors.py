"""Keyset cursors of the receivables and property connections: ``<sort key>|<id>``."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from uuid import UUID

from graphql import GraphQLError


def encode(first: str, second: UUID) -> str:
    return base64.urlsafe_b64encode(f"{first}|{second}".encode()).decode()


def decode(cursor: str | None) -> tuple[str, UUID] | None:
    if cursor is None:
        return None
    try:
        head, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition("|")
        return head, UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


def dated(cursor: str | None) -> tuple[date, UUID] | None:
    found = decode(cursor)
    if found is None:
        return None
    try:
        return date.fromisoformat(found[0]), found[1]
    except ValueError:
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None
