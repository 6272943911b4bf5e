"""Providers: ``base`` (the interface), ``simulated``, ``yfinance_provider``, ``manual``."""
