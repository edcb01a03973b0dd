"""Abuse limits in front of GraphQL: query cost, body size, batching, deadlines, headers."""
