from fiscus.resolvers.properties.mutations import PropertiesMutation
from fiscus.resolvers.properties.queries import PropertiesQuery

__all__ = ["PropertiesMutation", "PropertiesQuery"]
