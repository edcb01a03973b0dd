"""Business operations: take a session, flush, never commit (the boundary commits)."""
