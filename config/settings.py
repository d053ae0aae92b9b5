"""All settings in one place: environment variables with the prefix FOERDERMATCH_ (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-dev-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOERDERMATCH_", env_file=".env", extra="ignore")

    environment: str = Field(default="development", description="development | production")
    data_dir: Path = Path("var")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    secret_key: str = DEFAULT_SECRET
    # The desk's signed session cookie expires after this many seconds (a working day).
    session_max_age_s: int = 8 * 3600
    # POST /api/v1/match: at most this many requests per client (token, user or IP) per window.
    match_rate_limit: int = Field(default=30, ge=1)
    match_rate_window_s: float = Field(default=60.0, gt=0)

    # Embeddings: "e5-small-pypi" is multilingual-e5-small rebuilt offline from PyPI parts; any other
    # value is a sentence-transformers model name or path (needs a hub or a local folder).
    embedding_model: str = "e5-small-pypi"
    model_cache_dir: Path | None = None  # default: data_dir/models
    # Run the model's linear layers in int8 (torch dynamic quantisation): queries and passages embed about
    # twice as fast with the same eval figures (README "Speed and memory"). Vectors are stored per model id,
    # and the id says "-int8", so switching re-embeds rather than mixing the two kinds of vectors.
    embedding_int8: bool = True
    # Relative weight of the lexical side in rank fusion for German queries (0 = dense only).
    lexical_weight: float = 1.0

    # Eligibility: days a coordinator needs at least to prepare an application.
    preparation_days: int = 14

    # Crawling
    user_agent: str = "foerdermatch/0.1 (+https://github.com/foerdermatch; kontakt@foerdermatch.example)"
    crawl_delay_s: float = 1.0
    crawl_timeout_s: float = 20.0
    crawl_max_bytes: int = 200_000_000  # the Förderdatenbank export zip is large
    crawl_max_retries: int = 3
    # Another sources file (default: config/sources.yaml).
    sources_file: Path | None = None
    # URL prefix map, live -> mirror, for fetching from a mirror or the fixture sites (JSON in the env var).
    crawl_rewrite: dict[str, str] = Field(default_factory=dict)
    crawl_backoff_s: float = 1.0
    raw_retention_days: int = 180
    gone_after_missed_crawls: int = 3
    # A source whose last successful crawl is older than this is reported stale.
    stale_after_days: int = 14

    # Newsletter / mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    mail_from: str = "foerdermatch <noreply@foerdermatch.example>"
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    # Matches per subscriber the digest looks at, and the days before a deadline that bring a reminder.
    newsletter_top: int = Field(default=20, ge=1, le=200)
    newsletter_reminder_days: list[int] = Field(default_factory=lambda: [14, 3])
    # Delivery: retries with exponential backoff for temporary failures, then "dead".
    newsletter_max_attempts: int = Field(default=8, ge=1)
    newsletter_retry_base_s: float = Field(default=60.0, ge=0)
    newsletter_retry_max_s: float = Field(default=6 * 3600.0, ge=0)
    # Dead messages (hard bounces, webhook 4xx, retries exhausted) in a row before a subscription is disabled.
    newsletter_disable_after: int = Field(default=3, ge=1)
    # At most this many sends (mails and webhooks) per minute, counted over all processes in the database.
    newsletter_rate_per_minute: int = Field(default=60, ge=1)
    # A message claimed longer ago than this is taken as left behind by a crashed sender (keep > timeouts).
    newsletter_sending_lease_s: float = Field(default=300.0, ge=0)
    newsletter_confirm_max_age_s: int = Field(default=7 * 86400, ge=60)
    # Webhook targets on private, loopback or link-local networks are refused unless their host is listed here.
    webhook_allow_hosts: list[str] = Field(default_factory=list)
    webhook_timeout_s: float = Field(default=10.0, gt=0)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'foerdermatch.db'}"

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    def check_production(self) -> None:
        """Refuse dangerous defaults when running for real."""
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise RuntimeError("FOERDERMATCH_SECRET_KEY must be set in production.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
