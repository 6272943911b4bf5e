"""Typed mutation errors. Expected failures are members of a mutation's result union;
everything unexpected is masked by the transport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from fiscus.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    ErrorCode,
    NotFound,
    RateLimited,
    RuleViolation,
    ValidationFailed,
)

strawberry.enum(ErrorCode, name="ErrorCode")  # registers the domain enum; annotate with it


@strawberry.interface(description="An expected failure the client can act on.")
class UserError:
    code: ErrorCode
    field: str | None = strawberry.field(description="Input path of the offending field.")
    message: str


@strawberry.type
class FieldProblem:
    code: ErrorCode
    field: str | None
    message: str


@strawberry.type(description="The input broke a rule; `problems` lists every broken rule.")
class ValidationError(UserError):
    problems: list[FieldProblem]


@strawberry.type
class NotFoundError(UserError):
    pass


@strawberry.type(description="The input is valid but a business rule forbids the change.")
class RuleViolationError(UserError):
    pass


@strawberry.type(
    description="The request conflicts with an earlier one, e.g. an idempotency key used "
    "before with a different input (IDEMPOTENCY_KEY_REUSED)."
)
class ConflictError(UserError):
    pass


@strawberry.type
class AuthenticationError(UserError):
    pass


@strawberry.type
class RateLimitedError(UserError):
    retry_after_seconds: int


def _field(name: str | None) -> str | None:
    return f"input.{name}" if name else None


def to_user_error(error: DomainError) -> UserError:
    code = ErrorCode(error.code)
    if isinstance(error, ValidationFailed):
        problems = [
            FieldProblem(code=ErrorCode(i.code), field=_field(i.field), message=i.message)
            for i in error.issues
        ]
        return ValidationError(
            code=code, field=_field(error.field), message=error.message, problems=problems
        )
    if isinstance(error, NotFound):
        return NotFoundError(code=code, field=_field(error.field), message=error.message)
    if isinstance(error, RateLimited):
        return RateLimitedError(
            code=code,
            field=None,
            message=error.message,
            retry_after_seconds=error.retry_after_seconds,
        )
    if isinstance(error, AuthenticationFailed):
        return AuthenticationError(code=code, field=_field(error.field), message=error.message)
    if isinstance(error, Conflict):
        return ConflictError(code=code, field=_field(error.field), message=error.message)
    if isinstance(error, RuleViolation):
        return RuleViolationError(code=code, field=_field(error.field), message=error.message)
    raise error


R = TypeVar("R")


async def attempt(call: Callable[[], Awaitable[R]]) -> R | UserError:
    """Run a mutation's use case; an expected failure (a ``DomainError``) becomes the typed
    error member of the result union, anything else propagates (and is masked)."""
    try:
        return await call()
    except DomainError as error:
        return to_user_error(error)
