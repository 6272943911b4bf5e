"""Identity queries, mutations and the organization activity subscription."""

from fiscus.resolvers.identity.mutations import IdentityMutation
from fiscus.resolvers.identity.queries import IdentityQuery, Organization
from fiscus.resolvers.identity.subscriptions import IdentitySubscription

__all__ = ["IdentityMutation", "IdentityQuery", "IdentitySubscription", "Organization"]
