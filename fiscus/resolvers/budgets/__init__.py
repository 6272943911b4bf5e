from fiscus.resolvers.budgets.mutations import BudgetsMutation
from fiscus.resolvers.budgets.queries import BudgetsQuery

__all__ = ["BudgetsMutation", "BudgetsQuery"]
