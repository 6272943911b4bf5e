from fiscus.resolvers.ledger.mutations import LedgerMutation
from fiscus.resolvers.ledger.queries import LedgerQuery
from fiscus.resolvers.ledger.subscriptions import LedgerSubscription

__all__ = ["LedgerMutation", "LedgerQuery", "LedgerSubscription"]
