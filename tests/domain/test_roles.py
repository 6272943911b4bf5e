import pytest

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.identity import (
    Permission,
    Role,
    normalize_email,
    parse_role,
    role_allows,
)


def test_owner_only_powers():
    for role in Role:
        assert role_allows(role, Permission.ORG_DELETE) is (role is Role.OWNER)
        assert role_allows(role, Permission.OWNERSHIP_TRANSFER) is (role is Role.OWNER)


def test_analysts_read_and_analyse_but_never_write_the_books():
    writes = [p for p in Permission if p.value.endswith(":write")]
    assert writes
    assert not any(role_allows(Role.ANALYST, p) for p in writes)
    assert role_allows(Role.ANALYST, Permission.ANALYTICS_RUN)
    assert role_allows(Role.ANALYST, Permission.EXPORTS_RUN)
    assert role_allows(Role.ANALYST, Permission.LEDGER_READ)


def test_viewers_read_summaries_and_reports_only():
    allowed = {p for p in Permission if role_allows(Role.VIEWER, p)}
    assert allowed == {Permission.ORG_READ, Permission.REPORTS_READ}


def test_members_write_financial_data_but_do_not_manage_people():
    assert role_allows(Role.MEMBER, Permission.LEDGER_WRITE)
    assert role_allows(Role.MEMBER, Permission.PORTFOLIO_WRITE)
    assert not role_allows(Role.MEMBER, Permission.MEMBERS_MANAGE)
    assert role_allows(Role.ADMIN, Permission.MEMBERS_MANAGE)


def test_receivables_and_properties_members_write_analysts_read_viewers_none():
    areas = (
        Permission.RECEIVABLES_READ,
        Permission.RECEIVABLES_WRITE,
        Permission.PROPERTIES_READ,
        Permission.PROPERTIES_WRITE,
    )
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER):
        assert all(role_allows(role, p) for p in areas), role
    assert role_allows(Role.ANALYST, Permission.RECEIVABLES_READ)
    assert role_allows(Role.ANALYST, Permission.PROPERTIES_READ)
    assert not role_allows(Role.ANALYST, Permission.RECEIVABLES_WRITE)
    assert not role_allows(Role.ANALYST, Permission.PROPERTIES_WRITE)
    assert not any(role_allows(Role.VIEWER, p) for p in areas)


def test_ownership_is_never_granted_by_role_assignment():
    with pytest.raises(ValidationFailed) as failure:
        parse_role("owner")
    assert failure.value.code == "INVALID_ROLE"


def test_email_domain_is_case_folded_and_checked():
    assert normalize_email("  Ada@Example.COM ") == "Ada@example.com"
    with pytest.raises(ValidationFailed):
        normalize_email("ada@")
