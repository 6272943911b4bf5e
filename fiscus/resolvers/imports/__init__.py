from fiscus.resolvers.imports.categorization import CategorizationMutation, CategorizationQuery
from fiscus.resolvers.imports.connections import BankConnectionsMutation
from fiscus.resolvers.imports.mutations import ImportsMutation
from fiscus.resolvers.imports.queries import ImportsQuery
from fiscus.resolvers.imports.subscriptions import ImportsSubscription

__all__ = [
    "BankConnectionsMutation",
    "CategorizationMutation",
    "CategorizationQuery",
    "ImportsMutation",
    "ImportsQuery",
    "ImportsSubscription",
]
