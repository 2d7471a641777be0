"""API key secrets: made with enough entropy that a plain SHA-256 is a safe way to store them."""

import hashlib
import secrets

SECRET_PREFIX = "raci_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
