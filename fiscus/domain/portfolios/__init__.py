"""Portfolios: transactions, tax lots, gains, income, valuation and returns (issue 6)."""
