"""Live telemetry: the Redis key schema, the store of readings, and its in-process twin."""
