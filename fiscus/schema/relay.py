"""Relay conventions: opaque global ids, the Node interface, cursor connections."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

import strawberry
from graphql import GraphQLError

T = TypeVar("T")
MAX_PAGE_SIZE = 100


def to_global_id(type_name: str, raw_id: UUID | str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "", ""
    type_name, _, raw = decoded.partition(":")
    return type_name, raw


def parse_global_id(global_id: str, expected_type: str, *, field: str) -> UUID | None:
    """The UUID inside ``global_id`` if it names ``expected_type``, else None."""
    type_name, raw = from_global_id(global_id)
    if type_name != expected_type:
        return None
    try:
        return UUID(raw)
    except ValueError:
        return None


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = None


def encode_cursor(at: datetime, item_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        at, _, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), UUID(item_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


def check_first(first: int) -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` must be between 0 and {MAX_PAGE_SIZE}.",
            extensions={"code": "BAD_USER_INPUT", "argument": "first"},
        )
    return first


def build_connection(
    items: Sequence[T],
    *,
    has_next: bool,
    had_cursor: bool,
    cursor_of: Callable[[T], str],
    total_count: int | None = None,
) -> Connection[T]:
    edges = [Edge(cursor=cursor_of(item), node=item) for item in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=had_cursor,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )
