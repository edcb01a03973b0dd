"""What makes two usernames the same account (pure functions; the schema relies on them)."""

from __future__ import annotations

import unicodedata


def normalize(value: str) -> str:
    """The username as stored and shown: NFKC (full-width "ａｌｉｃｅ" becomes "alice")."""
    return unicodedata.normalize("NFKC", value)


def key(value: str) -> str:
    """NFKC, case folded, NFKC again: "Alice", "ALICE" and "ａｌｉｃｅ" are one account.

    Stored in `user.username_key` (unique); logins and the login limiter go by it.
    """
    return unicodedata.normalize("NFKC", normalize(value).casefold())
