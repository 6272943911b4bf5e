"""Market data use cases: instruments, prices, corporate actions, FX, manual prices."""
