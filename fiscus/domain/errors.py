"""Expected failures of the business rules. The API maps them to typed GraphQL errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(enum.StrEnum):
    """Every code a typed mutation error may carry. Clients switch on these."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    INVALID_ID = "INVALID_ID"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_ROLE = "INVALID_ROLE"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    EMAIL_MISMATCH = "EMAIL_MISMATCH"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REUSED = "TOKEN_REUSED"
    SESSION_ENDED = "SESSION_ENDED"
    NO_MEMBERSHIP = "NO_MEMBERSHIP"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_INVITED = "ALREADY_INVITED"
    ALREADY_USED = "ALREADY_USED"
    ALREADY_OWNER = "ALREADY_OWNER"
    OWNER_PROTECTED = "OWNER_PROTECTED"
    NOT_OWNER = "NOT_OWNER"
    CONFIRMATION_MISMATCH = "CONFIRMATION_MISMATCH"
    SYMBOL_TAKEN = "SYMBOL_TAKEN"
    NOT_MANUAL = "NOT_MANUAL"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    # The ledger's books.
    UNBALANCED = "UNBALANCED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    ACCOUNT_ARCHIVED = "ACCOUNT_ARCHIVED"
    CODE_TAKEN = "CODE_TAKEN"
    ALREADY_POSTED = "ALREADY_POSTED"
    NOT_POSTED = "NOT_POSTED"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Portfolios: recording and importing.
    NAME_TAKEN = "NAME_TAKEN"
    DUPLICATE_REFERENCE = "DUPLICATE_REFERENCE"
    TRANSFER_LEG = "TRANSFER_LEG"
    # Portfolios: replaying the transactions.
    INSUFFICIENT_QUANTITY = "INSUFFICIENT_QUANTITY"
    INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
    LOT_NOT_OPEN = "LOT_NOT_OPEN"
    # Debts, budgets, goals, attachments.
    OVERPAYMENT = "OVERPAYMENT"
    NEVER_PAID_OFF = "NEVER_PAID_OFF"
    BUDGET_BELOW_MINIMUMS = "BUDGET_BELOW_MINIMUMS"
    NOT_ACTIVE = "NOT_ACTIVE"
    WRONG_ACCOUNT_TYPE = "WRONG_ACCOUNT_TYPE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TOO_LARGE = "TOO_LARGE"
    # Receivables and properties.
    OVER_ALLOCATED = "OVER_ALLOCATED"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    ARCHIVED = "ARCHIVED"
    IN_USE = "IN_USE"
    LEASE_OVERLAP = "LEASE_OVERLAP"
    # Analytics and backtests.
    NO_PRICES = "NO_PRICES"


@dataclass(frozen=True, slots=True)
class FieldIssue:
    field: str | None
    code: str
    message: str


class DomainError(Exception):
    """Base of expected failures: each carries a stable ``code``, a ``field`` and a message."""

    kind = "domain"

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    kind = "validation"

    def __init__(self, issues: list[FieldIssue]) -> None:
        if not issues:
            raise ValueError("ValidationFailed needs at least one issue")
        first = issues[0]
        super().__init__(first.code, first.message, first.field)
        self.issues = issues


class NotFound(DomainError):
    kind = "not_found"

    def __init__(self, message: str = "Not found.", field: str | None = None) -> None:
        super().__init__("NOT_FOUND", message, field)


class Conflict(DomainError):
    kind = "conflict"


class RuleViolation(DomainError):
    """The input is well-formed but a business rule forbids the change."""

    kind = "rule"


class AuthenticationFailed(DomainError):
    kind = "authentication"


class RateLimited(DomainError):
    kind = "rate_limited"

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(
            "RATE_LIMITED",
            message or f"Too many attempts. Try again in {retry_after_seconds} seconds.",
        )
        self.retry_after_seconds = retry_after_seconds
