"""Job functions: ``async def job(ctx, **primitives)``, each a thin call into a service."""
