"""Settings, read once from `RACI_` environment variables (and an optional `.env`)."""

from functools import lru_cache

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
