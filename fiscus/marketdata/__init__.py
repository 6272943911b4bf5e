"""Market data providers: added by the portfolios/market-data issue."""
