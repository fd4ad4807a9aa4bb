"""Settings read from the environment, with defaults that make `make run` work on one machine."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> default port. The gateway is the only public door; services listen on localhost.
SERVICE_PORTS = {
    "gateway": 8000,
    "catalog": 8001,
    "orders": 8002,
    "payments": 8003,
    "notifications": 8004,
}
SERVICES = ("catalog", "orders", "payments", "notifications")
ALL_APPS = ("gateway",) + SERVICES


def load_dotenv_file() -> Path | None:
    """One configuration for every `pasar` command: the `.env` in the current directory (what `make run` and
    `docker compose` read too) fills in what the real environment does not set; the environment always wins.
    PASAR_DOTENV=0 reads no file (the test harness: a developer's `.env` must never steer a test), any other
    value names the file to read. Child processes inherit the result, so they all see one configuration."""
    choice = os.environ.get("PASAR_DOTENV", "")
    if choice == "0":
        return None
    path = Path(choice) if choice else Path.cwd() / ".env"
    if not path.is_file():
        return None
    from dotenv import load_dotenv
    load_dotenv(path, override=False)
    return path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def var_dir() -> Path:
    path = Path(_env("PASAR_VAR_DIR", str(ROOT / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL` wins; else `DATABASE_URL` with `{service}` filled in; else SQLite in var/."""
    specific = _env(f"{service.upper()}_DATABASE_URL")
    if specific:
        return specific
    template = _env("DATABASE_URL")
    if template:
        return template.replace("{service}", service)
    return f"sqlite:///{var_dir() / (service + '.db')}"


def service_port(service: str) -> int:
    return _int(f"{service.upper()}_PORT", SERVICE_PORTS[service])


# Apps that hold Server-Sent Event streams open (the live feeds) need more threads than the rest:
# a gthread thread is cheap, and a feed occupies one for up to a minute in both of them.
STREAMING_APPS = ("gateway", "notifications")


def web_threads(app: str) -> int:
    default = _int("WEB_THREADS", 4)
    return _int(f"{app.upper()}_WEB_THREADS", max(default, 32) if app in STREAMING_APPS else default)


def service_url(service: str) -> str:
    return _env(f"{service.upper()}_URL", f"http://127.0.0.1:{service_port(service)}")


@dataclass(frozen=True)
class MessagingSettings:
    amqp_url: str
    exchange: str
    queue_prefix: str
    retry_delays_ms: tuple[int, ...]
    prefetch: int
    outbox_sweep_seconds: float
    outbox_grace_seconds: float
    queue_type: str = "classic"  # QUEUE_TYPE: classic (one node) or quorum (replicated across a cluster)

    @property
    def max_attempts(self) -> int:
        # first try + one per retry delay; after that the message is parked
        return len(self.retry_delays_ms) + 1


def messaging() -> MessagingSettings:
    delays = _env("RETRY_DELAYS_MS", "1000,5000,30000")
    return MessagingSettings(
        amqp_url=_env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
        exchange=_env("EVENTS_EXCHANGE", "pasar.events"),
        queue_prefix=_env("QUEUE_PREFIX", "pasar."),
        retry_delays_ms=tuple(int(d) for d in delays.split(",") if d.strip()),
        prefetch=_int("PREFETCH", 16),
        outbox_sweep_seconds=float(_env("OUTBOX_SWEEP_SECONDS", "0.5")),
        outbox_grace_seconds=float(_env("OUTBOX_GRACE_SECONDS", "2")),
        queue_type=_env("QUEUE_TYPE", "classic"),
    )


DEV_JWT_SECRET = "dev-only-insecure-secret-change-me-0123456789"


@dataclass(frozen=True)
class AuthSettings:
    """HS256 with one shared secret (development, tests), or EdDSA when a public key is configured: then only the
    gateway, which holds the private key, can sign, and every service verifies with the public key alone."""
    secret: str | None
    algorithm: str
    issuer: str
    audience: str
    access_ttl_seconds: int
    refresh_ttl_seconds: int
    private_key: str | None = None
    public_key: str | None = None

    @property
    def signing_key(self) -> str | None:
        return self.private_key if self.algorithm == "EdDSA" else self.secret

    @property
    def verification_key(self) -> str | None:
        return self.public_key if self.algorithm == "EdDSA" else self.secret


def secret_text(name: str) -> str | None:
    """A secret from NAME, or from the file NAME_FILE names (docker secrets, PEM keys with their newlines)."""
    path = _env(f"{name}_FILE")
    return Path(path).read_text() if path else _env(name)


def auth() -> AuthSettings:
    public_key = secret_text("JWT_PUBLIC_KEY")
    return AuthSettings(
        # The development default is deliberately loud; production sets keys (or JWT_SECRET).
        secret=None if public_key else _env("JWT_SECRET", DEV_JWT_SECRET),
        algorithm="EdDSA" if public_key else "HS256",
        issuer=_env("JWT_ISSUER", "pasar-desa"),
        audience=_env("JWT_AUDIENCE", "pasar-desa-api"),
        access_ttl_seconds=_int("ACCESS_TOKEN_TTL", 900),
        refresh_ttl_seconds=_int("REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        private_key=secret_text("JWT_PRIVATE_KEY") if public_key else None,
        public_key=public_key,
    )


def refuse_unsafe_production_settings() -> None:
    """With PASAR_ENV=production a process will not start on the development token secret: anyone who has read
    this repository could sign themselves an admin token."""
    if _env("PASAR_ENV") == "production" and auth().secret == DEV_JWT_SECRET:
        raise SystemExit("PASAR_ENV=production needs JWT keys (JWT_PUBLIC_KEY_FILE, and JWT_PRIVATE_KEY_FILE for the "
                         "gateway: `pasar make-keys`) or a JWT_SECRET of your own")


def setting(name: str, default: str | None = None) -> str | None:
    """Escape hatch for service-specific settings (documented in .env.example)."""
    return _env(name, default)


def int_setting(name: str, default: int) -> int:
    return _int(name, default)
