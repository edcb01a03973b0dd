"""Settings read once from the environment (names fixed by the public contract)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Secrets that ship with the code; accepted in development only.
DEVELOPMENT_JWT_SECRET = "hems-development-secret-do-not-use-in-production"
KNOWN_DEFAULT_SECRETS = frozenset(
    {DEVELOPMENT_JWT_SECRET, "changeme", "secret", "change-me", "hems", "development"}
)
#: HS256 keys shorter than this are brute-forceable; refuse them everywhere.
MIN_JWT_SECRET_BYTES = 32

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """HEMS configuration; every name matches `API.md` so ops can set them verbatim."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    HEMS_ENV: Environment = "development"
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    JWT_SECRET: str = DEVELOPMENT_JWT_SECRET
    JWT_LIFETIME_S: int = Field(default=24 * 3600, gt=0)
    SIMULATION_INTERVAL_S: int = Field(default=60, ge=1, le=3600)
    LIVE_TTL_S: int | None = Field(default=None, ge=1)
    DEFAULT_LATITUDE: float = Field(default=37.77, ge=-90, le=90)
    DEFAULT_LONGITUDE: float = Field(default=-122.42, ge=-180, le=180)
    DEFAULT_TIMEZONE: str = "America/Los_Angeles"
    HOST: str = "127.0.0.1"
    PORT: int = Field(default=8000, ge=1, le=65535)
    SQLITE_PATH: str = "hems.db"
    #: Users per `simulate_user_batch` job: large enough that ARQ dispatch is negligible.
    SIMULATION_BATCH_USERS: int = Field(default=250, ge=1)
    #: Users per `plan_user_batch` job (a plan is a linear program per home: smaller batches
    #: spread a fleet's re-planning over the workers).
    PLAN_BATCH_USERS: int = Field(default=100, ge=1)
    #: Days the per-interval (minute) energy history is kept; hour and day rollups are kept.
    HISTORY_MINUTE_RETENTION_DAYS: int = Field(default=7, ge=1)
    #: Days the per-device interval rows are kept, when shorter than the homes' (unset: the
    #: same). Device rows are ~98 % of the volume (50 devices per home): at 500,000 devices a day
    #: of them is ~720 M rows, so a large fleet keeps homes' minutes longer than devices'.
    HISTORY_DEVICE_MINUTE_RETENTION_DAYS: int | None = Field(default=None, ge=1)
    #: Per-device per-cycle (minute) rows, as before the quarter-hour buckets: an operator's
    #: opt-in for small installations (`Device.history(MINUTE)` needs it). Off: each device's
    #: energy goes only into its quarter-hour, hour and day buckets (docs/history.md).
    HISTORY_DEVICE_MINUTE: bool = False
    #: Days the per-device quarter-hour rows are kept (hour and day rollups are kept for good).
    HISTORY_DEVICE_RETENTION_DAYS: int = Field(default=35, ge=1)
    #: Websocket subscriptions: operations per connection, connections per user (per process).
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int = Field(default=10, ge=1)
    WS_MAX_CONNECTIONS_PER_USER: int = Field(default=5, ge=1)
    #: Keep-alive interval of subscription sockets (graphql-ws "ka" messages), seconds.
    WS_KEEPALIVE_S: float = Field(default=15.0, gt=0)
    GRAPHIQL: bool | None = None
    INTROSPECTION: bool | None = None
    CORS_ORIGINS: str = ""
    #: When set, the API's /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (a
    #: Prometheus `authorization` credential); unset, it is open (block it at the ingress).
    METRICS_TOKEN: str | None = Field(default=None, min_length=16)
    LOG_LEVEL: str = "INFO"
    #: "json" (one object per line) or "console"; default json except in development.
    LOG_FORMAT: Literal["json", "console"] | None = None
    #: Largest accepted request body (bytes); larger ones get 413 with a GraphQL error body.
    MAX_BODY_BYTES: int = Field(default=64 * 1024, ge=1024)
    #: Server-side deadline per HTTP request (seconds); past it the client gets TIMEOUT.
    REQUEST_TIMEOUT_S: float = Field(default=10.0, gt=0)
    #: Failed logins allowed per username, and per client address, within the window.
    LOGIN_MAX_FAILURES_PER_USERNAME: int = Field(default=10, ge=1)
    LOGIN_MAX_FAILURES_PER_ADDRESS: int = Field(default=50, ge=1)
    LOGIN_WINDOW_S: int = Field(default=900, ge=1)
    #: Back-off per (username, client address) pair: failures allowed before it starts, the
    #: first wait (doubled at each further failure) and its cap, in seconds. A refused attempt
    #: gets RATE_LIMITED at once; the server never sleeps. See docs/operations.md.
    LOGIN_BACKOFF_FREE_FAILURES: int = Field(default=3, ge=1)
    LOGIN_BACKOFF_BASE_S: float = Field(default=1.0, gt=0)
    LOGIN_BACKOFF_MAX_S: float = Field(default=300.0, gt=0)
    #: Registrations allowed per client address within the window (each costs an argon2 hash).
    REGISTRATION_MAX_PER_ADDRESS: int = Field(default=10, ge=1)
    REGISTRATION_WINDOW_S: int = Field(default=3600, ge=1)
    #: Port of a worker's own Prometheus endpoint; None disables it (one port per process).
    WORKER_METRICS_PORT: int | None = Field(default=None, ge=0, le=65535)

    @model_validator(mode="after")
    def _device_retention_within_home_retention(self) -> Settings:
        days = self.HISTORY_DEVICE_MINUTE_RETENTION_DAYS
        if days is not None and days > self.HISTORY_MINUTE_RETENTION_DAYS:
            raise ValueError(
                "HISTORY_DEVICE_MINUTE_RETENTION_DAYS must not exceed HISTORY_MINUTE_RETENTION_DAYS"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        if len(self.JWT_SECRET.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes long")
        if self.is_production() and self.JWT_SECRET in KNOWN_DEFAULT_SECRETS:
            raise ValueError("JWT_SECRET must be set to a private value when HEMS_ENV=production")
        return self

    def is_production(self) -> bool:
        return self.HEMS_ENV == "production"

    def is_testing(self) -> bool:
        return self.HEMS_ENV == "test"

    def is_embedded(self) -> bool:
        """No Redis configured: the API process also runs the simulation loop in memory."""
        return self.REDIS_URL is None

    @cached_property
    def database_url(self) -> str:
        return self.DATABASE_URL or f"sqlite+aiosqlite:///{self.SQLITE_PATH}"

    @property
    def live_ttl_s(self) -> int:
        """Readings expire after two intervals unless set: a stalled simulation shows as no data."""
        return self.LIVE_TTL_S or 2 * self.SIMULATION_INTERVAL_S

    @property
    def graphiql_enabled(self) -> bool:
        return self.GRAPHIQL if self.GRAPHIQL is not None else not self.is_production()

    @property
    def introspection_enabled(self) -> bool:
        return self.INTROSPECTION if self.INTROSPECTION is not None else not self.is_production()

    @property
    def log_json(self) -> bool:
        default = "console" if self.HEMS_ENV == "development" else "json"
        return (self.LOG_FORMAT or default) == "json"

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.CORS_ORIGINS.split(",") if o.strip()]


def get_settings() -> Settings:
    return Settings()
