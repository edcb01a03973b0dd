"""Plain REST endpoints beside GraphQL (health, metrics)."""
