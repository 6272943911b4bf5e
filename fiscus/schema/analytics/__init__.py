"""GraphQL types of analytics (issue 7): risk figures, benchmark comparisons and
backtests."""
