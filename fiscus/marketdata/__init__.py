"""Market data from the outside world: providers (yfinance, simulated, manual), the
registry that picks one per instrument with fallback, and the guards around every call
(rate limiter, circuit breaker, timeouts)."""
