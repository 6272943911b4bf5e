"""Every root field declares who may call it, as a permission class (never an ``if``).

``Public`` (anyone), ``Authenticated`` (any logged-in member), or ``requires(Permission.X)``.
A test walks the schema and fails if a root field declares none.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from fiscus.domain.identity import Permission


class Public(BasePermission):
    message = ""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    message = "Authentication required."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.require_principal()
        return True


@cache
def requires(permission: Permission) -> type[BasePermission]:
    class Requires(BasePermission):
        message = "You do not have permission to do this."
        required = permission

        async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            principal = await info.context.require_principal()
            if not principal.can(permission):
                raise forbidden(permission)
            return True

    Requires.__name__ = f"Requires_{permission.name}"
    return Requires


@cache
def requires_at_write(permission: Permission) -> type[BasePermission]:
    """``requires(permission)`` for a mutation whose write confirms the caller in its own
    transaction: when the token's role allows it, the database check waits for the write
    (one round trip fewer, and no gap between the check and the write) and the resolver
    passes the session on to be confirmed (``refused`` turns a refusal into the error this
    class would have raised); otherwise the caller is confirmed here, as ``requires`` does."""

    class RequiresAtWrite(BasePermission):
        message = "You do not have permission to do this."
        required = permission

        async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            if info.context.claimed_principal().can(permission):
                return True
            await confirmed(info, permission)
            return True

    RequiresAtWrite.__name__ = f"RequiresAtWrite_{permission.name}"
    return RequiresAtWrite


async def confirmed(info: Info, permission: Permission) -> Any:
    """The caller confirmed in the database and allowed ``permission`` (what ``requires``
    checks), for a ``requires_at_write`` field that does not defer the check."""
    principal = await info.context.require_principal()
    if not principal.can(permission):
        raise forbidden(permission)
    return principal


def forbidden(permission: Permission) -> GraphQLError:
    return GraphQLError(
        f"Your role does not allow this ({permission.value} required).",
        extensions={"code": "FORBIDDEN", "permission": permission.value},
    )


def refused(session_ended: bool, permission: Permission) -> GraphQLError:
    """What ``requires(permission)`` raises for a caller a write found unconfirmed."""
    if session_ended:
        return GraphQLError(
            "Your session has ended; log in again.", extensions={"code": "UNAUTHENTICATED"}
        )
    return forbidden(permission)


def declared_permission(permission_classes: list[type[BasePermission]]) -> str | None:
    """What a field declares: 'public', 'authenticated', a permission name, or None."""
    for cls in permission_classes:
        if cls is Public:
            return "public"
        if cls is Authenticated:
            return "authenticated"
        required = getattr(cls, "required", None)
        if isinstance(required, Permission):
            return required.value
    return None
