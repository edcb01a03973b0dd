"""Input checks that name the offending field (surfaced as BAD_USER_INPUT)."""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.auth import usernames
from app.errors import BadUserInput

NAME_MAX = 100
# \Z, not $: "$" also matches before a trailing newline, so "alice\n" would pass.
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}\Z")
PASSWORD_MIN = 8
#: argon2 cost grows with input; cap it so a login cannot be made arbitrarily expensive.
PASSWORD_MAX = 256


def name(field: str, value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput(field, "must not be empty")
    if len(cleaned) > NAME_MAX:
        raise BadUserInput(field, f"must be at most {NAME_MAX} characters")
    if "\x00" in cleaned:  # PostgreSQL text cannot hold NUL; refuse it on every backend
        raise BadUserInput(field, "must not contain NUL characters")
    return cleaned


def finite(field: str, value: float) -> float:
    if not math.isfinite(value):
        raise BadUserInput(field, "must be a finite number")
    return float(value)


def positive(field: str, value: float, *, maximum: float | None = None) -> float:
    value = finite(field, value)
    if value <= 0:
        raise BadUserInput(field, "must be greater than 0")
    if maximum is not None and value > maximum:
        raise BadUserInput(field, f"must be at most {maximum:g}")
    return value


def non_negative(field: str, value: float, *, maximum: float | None = None) -> float:
    value = finite(field, value)
    if value < 0:
        raise BadUserInput(field, "must not be negative")
    if maximum is not None and value > maximum:
        raise BadUserInput(field, f"must be at most {maximum:g}")
    return value


def in_range(field: str, value: float, low: float, high: float, *, low_open: bool = False) -> float:
    value = finite(field, value)
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise BadUserInput(field, f"must be within {bracket}{low:g}, {high:g}]")
    return value


def latitude(field: str, value: float) -> float:
    return in_range(field, value, -90.0, 90.0)


def longitude(field: str, value: float) -> float:
    return in_range(field, value, -180.0, 180.0)


def timezone(field: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadUserInput(field, "must be an IANA timezone name such as Europe/Berlin") from exc
    return value


def username(value: str) -> str:
    """The username as stored and shown: NFKC-normalised (full-width "ａｌｉｃｅ" is "alice")."""
    value = usernames.normalize(value)
    if not USERNAME_RE.match(value):
        raise BadUserInput("username", "must be 3-64 characters of letters, digits and . _ @ -")
    return value


def username_key(value: str) -> str:
    """What makes two usernames the same account ("Alice" = "alice"; see app.auth.usernames)."""
    return usernames.key(value)


def password(value: str) -> str:
    if len(value) < PASSWORD_MIN:
        raise BadUserInput("password", f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise BadUserInput("password", f"must be at most {PASSWORD_MAX} characters")
    return value
