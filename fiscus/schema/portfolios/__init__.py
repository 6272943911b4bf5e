"""GraphQL types of portfolios (``types``) and of their mutations (``inputs``)."""
