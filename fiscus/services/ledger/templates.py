"""Charts of accounts to start from: (code, name, type, parent code)."""

from __future__ import annotations

from fiscus.domain.ledger import AccountType

A, L, E, N, X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.INCOME,
    AccountType.EXPENSE,
)

Template = tuple[tuple[str, str, AccountType, str | None], ...]

HOUSEHOLD: Template = (
    ("1000", "Cash and bank", A, None),
    ("1010", "Checking account", A, "1000"),
    ("1020", "Savings account", A, "1000"),
    ("1030", "Cash", A, "1000"),
    ("1500", "Investments", A, None),
    ("2000", "Credit cards", L, None),
    ("2100", "Loans and mortgage", L, None),
    ("3000", "Opening balances", E, None),
    ("4000", "Salary", N, None),
    ("4100", "Interest and dividends", N, None),
    ("4900", "Other income", N, None),
    ("5000", "Housing", X, None),
    ("5010", "Rent or mortgage interest", X, "5000"),
    ("5020", "Utilities", X, "5000"),
    ("5100", "Groceries", X, None),
    ("5200", "Transport", X, None),
    ("5300", "Health", X, None),
    ("5400", "Leisure", X, None),
    ("5900", "Other expenses", X, None),
)

SMALL_BUSINESS: Template = (
    ("1000", "Bank", A, None),
    ("1100", "Accounts receivable", A, None),
    ("1200", "Inventory", A, None),
    ("1500", "Equipment", A, None),
    ("2000", "Accounts payable", L, None),
    ("2100", "Taxes payable", L, None),
    ("2200", "Loans", L, None),
    ("3000", "Owner's equity", E, None),
    ("3100", "Retained earnings", E, None),
    ("4000", "Sales", N, None),
    ("4100", "Services", N, None),
    ("5000", "Cost of goods sold", X, None),
    ("6000", "Salaries", X, None),
    ("6100", "Rent", X, None),
    ("6200", "Software and subscriptions", X, None),
    ("6300", "Marketing", X, None),
    ("6900", "Bank fees", X, None),
)

PROPERTY_MANAGEMENT: Template = (
    ("1000", "Operating bank", A, None),
    ("1010", "Security deposits held", A, None),
    ("1100", "Rent receivable", A, None),
    ("1500", "Properties", A, None),
    ("2000", "Tenant deposits", L, None),
    ("2100", "Mortgages", L, None),
    ("3000", "Owner contributions", E, None),
    ("4000", "Rental income", N, None),
    ("4100", "Late fees", N, None),
    ("5000", "Repairs and maintenance", X, None),
    ("5100", "Property management fees", X, None),
    ("5200", "Property taxes", X, None),
    ("5300", "Insurance", X, None),
    ("5400", "Mortgage interest", X, None),
    ("5500", "Utilities", X, None),
)

TEMPLATES: dict[str, Template] = {
    "household": HOUSEHOLD,
    "small_business": SMALL_BUSINESS,
    "property_management": PROPERTY_MANAGEMENT,
}
