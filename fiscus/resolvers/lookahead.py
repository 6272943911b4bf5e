"""Looking ahead in a field's selection: whether a nested field is asked for, so a root
resolver can read a whole tree in one statement instead of a level at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField


def asks_for(info: Info, name: str) -> bool:
    """True when a field named ``name`` appears anywhere below the current field
    (fragments included; directives are not evaluated, so a skipped field counts)."""
    return any(_contains(field.selections, name) for field in info.selected_fields)


def _contains(selections: Iterable[Any], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            return True
        if isinstance(selection, SelectedField | FragmentSpread | InlineFragment) and _contains(
            selection.selections, name
        ):
            return True
    return False
