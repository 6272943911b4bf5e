from fiscus.resolvers.analytics.mutations import AnalyticsMutation
from fiscus.resolvers.analytics.queries import AnalyticsQuery
from fiscus.resolvers.analytics.subscriptions import AnalyticsSubscription

__all__ = ["AnalyticsMutation", "AnalyticsQuery", "AnalyticsSubscription"]
