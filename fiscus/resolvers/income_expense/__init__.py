from fiscus.resolvers.income_expense.resolvers import (
    IncomeExpenseMutation,
    IncomeExpenseQuery,
    resolve_attachment_node,
)

__all__ = ["IncomeExpenseMutation", "IncomeExpenseQuery", "resolve_attachment_node"]
