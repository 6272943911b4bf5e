"""Bank import use cases: statement uploads and the import job, saved CSV mappings,
reconciliation, Plaid connections."""
