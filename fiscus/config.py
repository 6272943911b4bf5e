"""One settings object, read from the environment (prefix ``FISCUS_``) and injected.

Nested groups use a single underscore after the group name:
``FISCUS_DATABASE_URL`` -> ``settings.database.url``,
``FISCUS_AUTH_ACCESS_TOKEN_TTL_SECONDS`` -> ``settings.auth.access_token_ttl_seconds``.
Nothing reads the environment at import time: call ``Settings()`` (or ``load_settings()``)
and pass the object on.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production", "test"]


class DatabaseSettings(BaseModel):
    url: SecretStr | None = Field(
        default=None,
        description="Owner/migration URL (postgresql://...). Unset: embedded PostgreSQL.",
    )
    app_user: str = Field(
        default="fiscus_app",
        description="Login role the API and workers use: no superuser, no BYPASSRLS, "
        "owns no table. Created by the migrations.",
    )
    app_password: SecretStr = Field(default=SecretStr("fiscus_app"))
    pool_size: int = Field(default=10, description="ORM pool (units of work, writes).")
    max_overflow: int = 10
    read_pool_size: int = Field(
        default=10, description="asyncpg pool of the read path (queries, DataLoaders)."
    )
    write_pool_size: int = Field(
        default=10,
        description="asyncpg pool of writes that are one statement (ledger postings).",
    )
    statement_timeout_ms: int = 15_000
    echo: bool = False


class RedisSettings(BaseModel):
    url: str | None = Field(default=None, description="redis://... Unset: embedded Redis.")
    prefix: str = Field(
        default="fiscus",
        description="Namespace for every key and pub/sub channel fiscus uses.",
    )


class AuthSettings(BaseModel):
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 signing key (at least 32 bytes). Required in production; "
        "elsewhere generated once and kept in DATA_DIR/jwt-secret.",
    )
    jwt_issuer: str = "fiscus"
    jwt_audience: str = "fiscus-api"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 7 * 24 * 3600
    invitation_ttl_hours: int = 7 * 24
    password_reset_ttl_minutes: int = 60
    login_window_seconds: int = 15 * 60
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    sign_up_window_seconds: int = 3600
    sign_up_max_per_address: int = Field(
        default=10, description="signUp attempts per client address per window."
    )
    password_reset_window_seconds: int = 3600
    password_reset_max_per_account: int = Field(
        default=3, description="requestPasswordReset calls per email address per window."
    )
    password_reset_max_per_address: int = Field(
        default=10, description="requestPasswordReset calls per client address per window."
    )
    require_email_verification: bool | None = Field(
        default=None,
        description="signUp answers alike for new and taken emails and mails a token that "
        "verifyEmail turns into the account. Default: on in production.",
    )
    email_verification_ttl_minutes: int = 24 * 60
    password_min_length: int = 10


class GraphQLSettings(BaseModel):
    graphiql: bool | None = Field(
        default=None, description="Serve GraphiQL. Default: on except in production."
    )
    introspection: bool | None = Field(
        default=None, description="Allow introspection. Default: on except in production."
    )
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_document_bytes: int = 20_000
    max_cost: int = 10_000
    max_page_size: int = Field(
        default=100,
        description="Cost multiplier of a list field queried without `first`.",
    )
    max_list_input: int = Field(
        default=1_000,
        description="Most items any list input may have (variables and literals, at any "
        "depth), except input fields that declare their own cap (bulk inputs such as "
        "`recordPrices.prices`, 10,000).",
    )
    max_request_bytes: int = Field(
        default=4 * 1024 * 1024,
        description="Largest HTTP request body (a 10,000-row bulk input is about 1 MB).",
    )
    max_input_depth: int = Field(
        default=32, description="Deepest nesting of lists and objects in `variables`."
    )
    document_cache_entries: int = Field(
        default=512, description="Validated documents kept per transport."
    )
    document_cache_bytes: int = Field(
        default=256 * 1024,
        description="Source bytes of the validated documents kept per transport (the "
        "parsed form takes about 100-150 times as much memory).",
    )


class SMTPSettings(BaseModel):
    host: str | None = Field(
        default=None,
        description="SMTP server. Unset: mail is logged and written to DATA_DIR/mailbox.",
    )
    port: int = 25
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    sender: str = "fiscus <no-reply@fiscus.local>"


class WorkerSettings(BaseModel):
    health_check_interval_seconds: int = 10
    max_jobs: int = 20
    job_timeout_seconds: int = 60


class RealtimeSettings(BaseModel):
    subscriber_queue_size: int = 256
    snapshot_ttl_seconds: int = 24 * 3600
    init_timeout_seconds: float = 5.0
    max_subscriptions_per_socket: int = 100
    max_operations_per_socket: int = Field(
        default=16,
        description="Queries and mutations one socket may run at once; while that many "
        "run, the server stops reading the socket until one finishes.",
    )
    max_message_bytes: int = Field(
        default=1_048_576,
        description="Largest WebSocket message accepted; a larger one closes the socket with 1009.",
    )
    auth_timeout_seconds: float = Field(
        default=30.0,
        description="Longest wait for a received connection_init to be authenticated "
        "(a reconnect storm); past it the socket closes with 1013, try again later.",
    )
    max_concurrent_authentications: int = Field(
        default=16,
        description="Session checks (connection_init, new operations) one process runs "
        "at once; the rest wait their turn, and identical ones in flight are shared.",
    )
    valuation_interval_seconds: float = Field(
        default=0.15,
        gt=0,
        description="portfolioValuation: a portfolio is revalued at most once per interval "
        "(ticks in between are coalesced); the newest tick waits at most this long.",
    )
    per_message_deflate: bool = Field(
        default=False,
        description="Offer WebSocket compression (permessage-deflate). Off: every frame "
        "would be compressed once per socket (measured: ~28% of the server's CPU in a "
        "price fan-out, for frames of ~250 bytes).",
    )


class StreamerSettings(BaseModel):
    """The live-price streamer (``fiscus stream``; embedded in ``fiscus serve``). A separate
    group until ``MarketDataSettings`` exists; env ``FISCUS_STREAMER_*``."""

    embedded: bool | None = Field(
        default=None,
        description="Run the streamer inside `fiscus serve`. Default: on in embedded mode.",
    )
    interest_ttl_seconds: float = Field(
        default=30.0,
        description="How long a replica's watched symbols count after its last heartbeat "
        "(a crashed replica's interest expires after this).",
    )
    interest_heartbeat_seconds: float = Field(
        default=10.0, description="How often each API replica re-registers its symbols."
    )
    interest_poll_seconds: float = Field(
        default=0.5, description="How often the active streamer reads the union of symbols."
    )
    lease_ttl_seconds: float = Field(
        default=10.0,
        description="The active streamer's lease; a standby takes over once it lapses.",
    )
    lease_renew_seconds: float = Field(
        default=3.0, description="How often the active streamer renews (standbys retry)."
    )
    stale_after_seconds: float = Field(
        default=60.0,
        description="No message for this long while symbols are subscribed: the provider's "
        "stream is dropped and replaced.",
    )
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 30.0
    max_symbols_per_subscription: int = Field(
        default=200, description="Most symbols one priceUpdates subscription may watch."
    )


class MetricsSettings(BaseModel):
    token: SecretStr | None = Field(
        default=None,
        description="When set, /metrics requires `Authorization: Bearer <token>`.",
    )
    max_operation_names: int = Field(
        default=200,
        description="Distinct GraphQL operation names labelled in metrics per process; "
        "later ones are labelled `other`.",
    )


ProviderName = Literal["simulated", "yfinance"]


class MarketDataSettings(BaseModel):
    provider: ProviderName | None = Field(
        default=None,
        description="Default market-data provider. Unset: `simulated` (offline, "
        "deterministic) unless FISCUS_ENV=production, where it is `yfinance`.",
    )
    fallback: list[ProviderName] = Field(
        default_factory=list,
        description="Providers tried in order when the default fails (JSON list, e.g. "
        '`["yfinance"]`). Empty by default: `simulated` behind a real provider would store '
        "invented prices.",
    )
    call_timeout_seconds: float = Field(
        default=20.0,
        description="Deadline of one provider call, rate-limiter wait included.",
    )
    breaker_failures: int = Field(
        default=5, description="Consecutive failed calls that open a provider's circuit."
    )
    breaker_open_seconds: float = Field(
        default=60.0, description="How long an open circuit refuses calls before probing."
    )
    breaker_half_open_probes: int = Field(
        default=1, description="Calls let through at once while the circuit is half-open."
    )
    yfinance_requests_per_second: float = Field(
        default=2.0, description="Token-bucket refill rate of calls to Yahoo."
    )
    yfinance_burst: int = Field(default=10, description="Token-bucket size for Yahoo.")
    yfinance_chunk_size: int = Field(
        default=50, description="Symbols per batch download (and per guarded call)."
    )
    simulated_requests_per_second: float = 1_000.0
    simulated_burst: int = 1_000
    simulated_seed: int = Field(
        default=12, description="Seed of the simulated market (same seed, same prices)."
    )
    simulated_ticks_per_second: float = Field(
        default=1.0, description="Live ticks per second per subscribed symbol (simulated)."
    )

    refresh_hours_utc: list[int] = Field(
        default=[6, 22],
        description="Hours (UTC) at which the watched instruments' daily prices and actions "
        "are refreshed: after the Asian/European and the American closes.",
    )
    refresh_minute: int = Field(default=15, description="Minute of those hours.")

    def rate_limit(self, provider: str) -> tuple[float, int]:
        """(requests per second, burst) of ``provider``."""
        if provider == "yfinance":
            return self.yfinance_requests_per_second, self.yfinance_burst
        return self.simulated_requests_per_second, self.simulated_burst


class ImportsSettings(BaseModel):
    """Bank imports, categorization and Plaid; environment: ``FISCUS_IMPORTS_<FIELD>``."""

    max_upload_bytes: int = Field(
        default=32 * 1024 * 1024,
        description="Largest statement file an upload (multipart request) may carry.",
    )
    write_chunk_lines: int = Field(
        default=25_000, description="Lines written per statement of an import's transaction."
    )
    job_timeout_seconds: int = 30 * 60
    suggestion_threshold: float = Field(
        default=0.5,
        description="A suggestion at least this confident categorizes an imported line.",
    )
    retrain_after_labels: int = Field(
        default=50,
        description="New labelled lines since the last training that trigger a retraining.",
    )
    max_training_labels: int = Field(
        default=200_000, description="The newest labelled lines a model is trained on."
    )
    plaid_base_url: str = Field(
        default="https://sandbox.plaid.com", description="Plaid's API (sandbox, production)."
    )
    plaid_client_id: str | None = None
    plaid_secret: SecretStr | None = None
    token_key: SecretStr | None = Field(
        default=None,
        description="32 bytes, base64: encrypts bank access tokens at rest (AES-256-GCM). "
        "Outside production a key is generated once under the data directory.",
    )
    webhook_max_age_seconds: int = Field(
        default=300, description="Plaid webhooks signed longer ago than this are refused."
    )
    plaid_timeout_seconds: float = 30.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FISCUS_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    env: Environment = "development"
    data_dir: Path = Path(".fiscus")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="Base URL used in emails. Default: http://HOST:PORT"
    )
    log_level: str = "INFO"
    log_json: bool | None = Field(default=None, description="Default: on in production.")

    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    auth: AuthSettings = AuthSettings()
    graphql: GraphQLSettings = GraphQLSettings()
    smtp: SMTPSettings = SMTPSettings()
    worker: WorkerSettings = WorkerSettings()
    realtime: RealtimeSettings = RealtimeSettings()
    streamer: StreamerSettings = StreamerSettings()
    metrics: MetricsSettings = MetricsSettings()
    marketdata: MarketDataSettings = MarketDataSettings()
    imports: ImportsSettings = ImportsSettings()

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return (
            self.graphql.graphiql if self.graphql.graphiql is not None else not self.is_production
        )

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql.introspection is not None:
            return self.graphql.introspection
        return not self.is_production

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.is_production

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def marketdata_providers(self) -> list[str]:
        """Provider names in the order they are tried: the default, then the fallbacks."""
        default = self.marketdata.provider or ("yfinance" if self.is_production else "simulated")
        return [default, *(name for name in self.marketdata.fallback if name != default)]

    @property
    def embedded(self) -> bool:
        return self.database.url is None or self.redis.url is None


def with_jwt_secret(settings: Settings) -> Settings:
    """Settings with a signing key: the configured one, else (outside production) a key
    generated once and kept under the data directory, so every process of one deployment
    -- API replicas and workers -- verifies the others' tokens."""
    if settings.auth.jwt_secret is not None:
        if len(settings.auth.jwt_secret.get_secret_value()) < 32:
            raise ValueError("FISCUS_AUTH_JWT_SECRET must be at least 32 characters")
        return settings
    if settings.is_production:
        raise ValueError("FISCUS_AUTH_JWT_SECRET must be set in production")
    path = settings.data_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    auth = settings.auth.model_copy(update={"jwt_secret": SecretStr(path.read_text().strip())})
    return settings.model_copy(update={"auth": auth})
