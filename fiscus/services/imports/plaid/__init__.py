"""Plaid: the HTTP client (httpx, Plaid's wire shapes), access tokens encrypted at rest,
webhook signatures, and the /transactions/sync cursor feeding the import pipeline."""
