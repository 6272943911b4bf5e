"""A leaner execution context for graphql-core (see ``context.py`` and ``plans.py``)."""

from fiscus.schema.execution.context import LeanExecutionContext

__all__ = ["LeanExecutionContext"]
