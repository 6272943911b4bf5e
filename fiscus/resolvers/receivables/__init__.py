from fiscus.resolvers.receivables.mutations import ReceivablesMutation
from fiscus.resolvers.receivables.queries import ReceivablesQuery

__all__ = ["ReceivablesMutation", "ReceivablesQuery"]
