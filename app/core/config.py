"""Settings, read once from `RACI_` environment variables (and an optional `.env`)."""

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.auth_limits import IpNetwork, parse_networks

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "admin", "password", ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RACI_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./raci.db"
    bootstrap_admin_key: SecretStr | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # How long an SQLite writer waits for the write lock before its 503 with Retry-After.
    sqlite_busy_timeout_ms: int = Field(default=15_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    # Wrong keys per minute from one address, or with one key prefix, before 429 (never
    # counted against keys that authenticate); requests with no key per minute per address.
    auth_failures_per_minute: int = Field(default=30, ge=1)
    anonymous_requests_per_minute: int = Field(default=60, ge=1)
    # Reverse proxies whose X-Forwarded-For names the client: addresses or networks,
    # comma-separated (e.g. `10.0.0.0/8,127.0.0.1`). Empty: the TCP peer is the client.
    trusted_proxies: str = ""
    # /metrics answers without an API key only when this is true.
    metrics_public: bool = False
    # Expensive reports (findings, exports, the dashboard) one API key may run at once.
    reports_per_key: int = Field(default=2, ge=1)
    # How long a write waits for a lock another transaction holds (a long import) before
    # it is answered 503 with Retry-After: PostgreSQL's lock_timeout.
    lock_timeout_ms: int = Field(default=15_000, ge=0)
    log_level: str = "INFO"
    log_json: bool = True
    # /metrics computes the findings report at most this often (seconds).
    metrics_findings_max_age_seconds: float = Field(default=30.0, ge=0)
    # On SIGTERM, in-flight requests get this long to finish before they are cut.
    shutdown_timeout_seconds: int = Field(default=30, ge=1)
    # How often `raci serve` looks for joint KPIs whose target date passed unmet, to open
    # their governance reviews (seconds; 0 switches the check off).
    review_check_seconds: float = Field(default=3600.0, ge=0)
    # Webhooks (app.webhooks): URLs resolving to private, loopback or link-local addresses
    # are refused unless this is true (tests, a receiver on the same host).
    webhook_allow_private: bool = False
    # The delivery worker beside `raci serve`: its own process (`raci webhooks work`, so
    # that sending never competes with requests for the server's process), a thread of the
    # server, or off (deliveries wait in the outbox for a `raci webhooks work` elsewhere).
    webhook_worker: Literal["process", "thread", "off"] = "process"
    # How often the worker looks for due deliveries (seconds).
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # A receiver's time to answer one delivery (seconds); then it counts as failed.
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # Deliveries one worker claims, and sends at once, per round.
    webhook_batch_size: int = Field(default=20, ge=1, le=500)
    webhook_concurrency: int = Field(default=4, ge=1, le=64)
    # Retry n waits about base * 2**(n-1) seconds (with jitter), at most the maximum.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # An endpoint whose deliveries failed for this many days, none succeeding, is disabled.
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    # How often the worker checks the KPI statuses that change with time alone (seconds).
    webhook_kpi_sweep_seconds: float = Field(default=3600.0, gt=0)
    # Delivered and given-up deliveries, and their events, are kept this long (days).
    webhook_retention_days: float = Field(default=30.0, gt=0)

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        # A guessable admin secret is worse than none: refuse to start with one.
        if value is not None:
            secret = value.get_secret_value()
            if secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < 16:
                raise ValueError(
                    "RACI_BOOTSTRAP_ADMIN_KEY must be at least 16 characters and not a placeholder"
                )
        return value

    @field_validator("webhook_worker", mode="before")
    @classmethod
    def _worker_switch(cls, value: Any) -> Any:
        # true/false read as the default worker and none.
        if isinstance(value, bool) or str(value).lower() in {"true", "false", "1", "0"}:
            return "process" if str(value).lower() in {"true", "1"} else "off"
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as error:
            raise ValueError(
                f"RACI_TRUSTED_PROXIES must be comma-separated addresses or networks: {error}"
            ) from None
        return value

    @property
    def proxies(self) -> tuple[IpNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
