"""Settings, read once from `RACI_` environment variables (and an optional `.env`)."""

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "admin", "password", ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RACI_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./raci.db"
    bootstrap_admin_key: SecretStr | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    auth_failures_per_minute: int = Field(default=30, ge=1)
    log_level: str = "INFO"
    log_json: bool = True
    # /metrics computes the findings report at most this often (seconds).
    metrics_findings_max_age_seconds: float = Field(default=30.0, ge=0)
    # On SIGTERM, in-flight requests get this long to finish before they are cut.
    shutdown_timeout_seconds: int = Field(default=30, ge=1)

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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
