"""GraphQL object types, built from models at the boundary."""
