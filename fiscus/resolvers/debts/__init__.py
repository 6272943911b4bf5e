from fiscus.resolvers.debts.mutations import DebtsMutation
from fiscus.resolvers.debts.queries import DebtsQuery

__all__ = ["DebtsMutation", "DebtsQuery"]
