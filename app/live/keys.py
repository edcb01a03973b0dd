"""The only place that formats live-state Redis keys and channels (schema fixed by API.md)."""

from __future__ import annotations

import uuid

#: Prefix of every internal (non-contract) key, so ops can tell them apart.
INTERNAL_PREFIX = "hems:"


def device_current_key(device_id: uuid.UUID | str) -> str:
    """`device:{id}:current`: the device's latest power reading (JSON)."""
    return f"device:{device_id}:current"


def device_storage_key(device_id: uuid.UUID | str) -> str:
    """`device:{id}:storage`: a battery's or EV's latest level and flow (JSON)."""
    return f"device:{device_id}:storage"


def device_deletions_count_key() -> str:
    """How many devices were deleted so far: a write built before a deletion checks it."""
    return f"{INTERNAL_PREFIX}device:deletions:count"


def device_deletions_key() -> str:
    """Sorted set of the latest deleted device ids, scored by their deletion count."""
    return f"{INTERNAL_PREFIX}device:deletions"


def user_energy_stats_key(user_id: uuid.UUID | str) -> str:
    """`user:{id}:energy_stats`: the user's figures for the latest cycle (JSON)."""
    return f"user:{user_id}:energy_stats"


def home_energy_stats_key(home_id: uuid.UUID | str) -> str:
    """`home:{id}:energy_stats`: one home's figures for the latest cycle (JSON, as the user's)."""
    return f"home:{home_id}:energy_stats"


def user_channel(user_id: uuid.UUID | str) -> str:
    """Pub/sub channel announcing that a cycle wrote this user's figures."""
    return f"{INTERNAL_PREFIX}user:{user_id}:cycle"


def cycles_channel() -> str:
    """Pub/sub channel on which workers announce each user batch they completed."""
    return f"{INTERNAL_PREFIX}cycles"


def cycle_lock_key(cycle_epoch_s: int) -> str:
    """Per-cycle lock so a tick is orchestrated at most once, whatever the worker count."""
    return f"{INTERNAL_PREFIX}cycle:{cycle_epoch_s}:lock"


def cycle_progress_key(cycle_epoch_s: int) -> str:
    """Hash of a cycle's progress (batches expected/done, devices, failures)."""
    return f"{INTERNAL_PREFIX}cycle:{cycle_epoch_s}:progress"


def last_complete_cycle_key() -> str:
    """Epoch seconds of the newest fully written cycle (for cycle-lag metrics)."""
    return f"{INTERNAL_PREFIX}cycle:last_complete"


def login_attempts_key(scope: str, subject: str) -> str:
    """Login limiter state per username ("user"), client address ("addr") or both ("pair")."""
    return f"{INTERNAL_PREFIX}login:{scope}:{subject}"


def registration_attempts_key(subject: str) -> str:
    """Fixed-window counter of registrations per (hashed) client address."""
    return f"{INTERNAL_PREFIX}register:addr:{subject}"


def readings_channel() -> str:
    """Pub/sub channel: one message per simulated batch, listing its users and the cycle."""
    return f"{INTERNAL_PREFIX}readings"


def token_revocations_channel() -> str:
    """Pub/sub channel: a user's token generation was bumped (earlier tokens are revoked)."""
    return f"{INTERNAL_PREFIX}tokens:revoked"


def home_plan_slot_key(home_id: uuid.UUID | str) -> str:
    """The current 15-minute slot of the home's plan (JSON): what OPTIMIZED/SMART follow."""
    return f"{INTERNAL_PREFIX}home:{home_id}:plan:slot"


def plan_lock_key(epoch_s: int) -> str:
    """Per-interval lock so a re-planning round is orchestrated at most once."""
    return f"{INTERNAL_PREFIX}plan:{epoch_s}:lock"


def home_plan_flows_key(home_id: uuid.UUID | str) -> str:
    """The home's planned battery and EV power for every slot of its plan (binary, see
    `app.live.plans`), kept until the plan's end: what the cycle follows each minute."""
    return f"{INTERNAL_PREFIX}home:{home_id}:plan:flows"
