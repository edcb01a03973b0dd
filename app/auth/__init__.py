"""Authentication: password hashing, JWT issue/verify, and the request principal."""
