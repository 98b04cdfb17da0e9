"""Settings from the environment, with working embedded defaults.

Every setting can be overridden by an environment variable of the same name.  The
defaults run a complete site on one machine: SQLite under ``instance/``, rate-limit
counters in the database, no mail.  Production differs only where it must (secure cookies,
HSTS) and is selected with ``LOUSHI_ENV=production`` (the default).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return ``SECRET_KEY`` from the environment, else one generated and kept in
    ``instance/secret_key`` (created once, readable by the owner only)."""
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if key_file.exists():
        key = key_file.read_text(encoding="ascii").strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


class Config:
    """Defaults shared by every environment; read when ``create_app`` runs."""

    ENV_NAME = "production"
    TESTING = False
    DEFAULT_SMS_GATEWAY: str | None = None  # SMS_GATEWAY when the environment does not set it

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self) -> dict:  # noqa: N802 - a Flask setting
        # hide_parameters: no phone or e-mail in SQL logs or in logged exception messages.
        # pool_pre_ping: a pooled connection to a database server is tested before use (the
        # server may have restarted); an SQLite file has no server, and the test would be one
        # more statement on every request that reads or writes.
        return {"pool_pre_ping": not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"), "hide_parameters": True}

    def __init__(self, instance_path: Path | None = None) -> None:
        instance = Path(instance_path or os.environ.get("LOUSHI_INSTANCE") or DEFAULT_INSTANCE)
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = load_or_create_secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'loushi.sqlite3'}"
        )
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        # Rate-limit counters: in Redis with REDIS_URL; else in the database (table
        # rate_limit_counter; on SQLite in a file beside it, see app/core/ratelimit_store.py),
        # so that every worker and every restart counts together.  ``memory://`` (one count
        # per process) is for the test suite only.  RATELIMIT_DATABASE_URL puts the
        # counters in another database.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "database://"
        self.RATELIMIT_DATABASE_URL = os.environ.get("RATELIMIT_DATABASE_URL") or None
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX") or "loushi"
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM") or "楼事通 Loushi <no-reply@loushi.example>"
        # Text messages (app/core/sms.py): "http" (an HTTP JSON gateway at SMS_GATEWAY_URL,
        # signed with SMS_GATEWAY_KEY), "console" (development: logged, not sent) or empty
        # (no SMS).  SMS_SIGN_NAME is the 签名 the gateway puts in front of every text.
        self.SMS_GATEWAY = (os.environ.get("SMS_GATEWAY") or self.DEFAULT_SMS_GATEWAY or "").strip().lower() or None
        self.SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL") or None
        self.SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY") or None
        self.SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME") or "楼事通"
        self.PAGE_CACHE_ENABLED = _bool("PAGE_CACHE_ENABLED", True)
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(instance / "uploads")
        self.UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
        self.UPLOAD_MAX_FILES = _int("UPLOAD_MAX_FILES", 5)
        # Files kept for a form sent back with an error (``stash/`` under UPLOAD_FOLDER):
        # removed by ``purge-personal-data`` once older than this many hours.
        self.UPLOAD_STASH_HOURS = _int("UPLOAD_STASH_HOURS", 24)
        # Pixels (as the image headers declare them) per image, per form, and of a stored
        # image (larger ones are scaled down); see docs/security/uploads.md.
        self.UPLOAD_MAX_PIXELS = _int("UPLOAD_MAX_PIXELS", 25_000_000)
        self.UPLOAD_MAX_PIXELS_PER_REQUEST = _int("UPLOAD_MAX_PIXELS_PER_REQUEST", 80_000_000)
        self.UPLOAD_MAX_STORED_PIXELS = _int("UPLOAD_MAX_STORED_PIXELS", 25_000_000)
        # China's public holidays and make-up working days for due dates (JSON; the
        # packaged table covers 2025 and 2026: app/core/data/holidays-cn.json).
        self.HOLIDAYS_FILE = os.environ.get("HOLIDAYS_FILE") or None
        self.INTAKE_LIMIT = os.environ.get("INTAKE_LIMIT") or "10 per hour"
        self.TRACK_LIMIT = os.environ.get("TRACK_LIMIT") or "20 per 10 minutes"
        # Wrong access codes (the e-mail link's ?code=, the unlock form and the look-up together)
        # per tracking number and per client IP; beyond them every code is refused for a while.
        self.ACCESS_CODE_LIMIT_PER_REQUEST = os.environ.get("ACCESS_CODE_LIMIT_PER_REQUEST") or "10 per hour"
        self.ACCESS_CODE_LIMIT_PER_IP = os.environ.get("ACCESS_CODE_LIMIT_PER_IP") or "20 per 10 minutes"
        # A new access code by SMS (/<lang>/track/recover): requests per tracking number, per
        # phone number and per client IP, whether or not the pair matched.
        self.RECOVER_LIMIT_PER_REQUEST = os.environ.get("RECOVER_LIMIT_PER_REQUEST") or "3 per hour"
        self.RECOVER_LIMIT_PER_PHONE = os.environ.get("RECOVER_LIMIT_PER_PHONE") or "3 per hour"
        self.RECOVER_LIMIT_PER_IP = os.environ.get("RECOVER_LIMIT_PER_IP") or "10 per hour"
        self.RETENTION_DAYS = _int("RETENTION_DAYS", 365)
        # The public rates (响应率 解决率 满意率) are shown as "—" below this many requests
        # (response and resolution) or ratings (satisfaction): 100 % of one rating says nothing.
        self.RATE_MIN_COUNT = max(1, _int("RATE_MIN_COUNT", 5))
        # Wish wall anti-abuse: limits per IP and per browser, minimum seconds to fill the form,
        # and the sensitive-word list that flags a wish for the moderator.
        self.WALL_POST_LIMIT_PER_IP = os.environ.get("WALL_POST_LIMIT_PER_IP") or "5 per hour"
        self.WALL_POST_LIMIT_PER_BROWSER = os.environ.get("WALL_POST_LIMIT_PER_BROWSER") or "3 per hour"
        self.WALL_SUPPORT_LIMIT = os.environ.get("WALL_SUPPORT_LIMIT") or "60 per minute"
        self.WALL_REPORT_LIMIT = os.environ.get("WALL_REPORT_LIMIT") or "10 per hour"
        self.WALL_MIN_FILL_SECONDS = _int("WALL_MIN_FILL_SECONDS", 3)
        # Supports and reports count once per person: once per wish per browser cookie (or
        # signed-in account), and from one network (the keyed hash of the client's IPv4
        # address, or IPv6 /64) at most this many supports of a wish per day and reports of a
        # wish in all (office towers share NAT addresses; 0 = no allowance per network).
        self.WALL_SUPPORTS_PER_IP_PER_DAY = _int("WALL_SUPPORTS_PER_IP_PER_DAY", 20)
        self.WALL_REPORTS_PER_IP = _int("WALL_REPORTS_PER_IP", 1)
        # Reports hide a published wish automatically only when this many of its reporters
        # had reports upheld before (at least WALL_TRUSTED_REPORTER_MIN_UPHELD, and more upheld
        # than dismissed), or when its distinct reporters reach
        # max(WALL_REPORTS_TO_HIDE, supports / WALL_REPORTS_TO_HIDE_PER_SUPPORTS); else
        # reports only queue it for review.
        self.WALL_TRUSTED_REPORTS_TO_HIDE = _int("WALL_TRUSTED_REPORTS_TO_HIDE", 2)
        self.WALL_TRUSTED_REPORTER_MIN_UPHELD = _int("WALL_TRUSTED_REPORTER_MIN_UPHELD", 1)
        self.WALL_REPORTS_TO_HIDE = _int("WALL_REPORTS_TO_HIDE", 5)
        self.WALL_REPORTS_TO_HIDE_PER_SUPPORTS = _int("WALL_REPORTS_TO_HIDE_PER_SUPPORTS", 10)
        # Two-step sign-in (TOTP) is required of these roles (comma-separated); others may turn it on.
        self.TOTP_REQUIRED_ROLES = tuple(
            r.strip() for r in (os.environ.get("TOTP_REQUIRED_ROLES") or "admin").split(",") if r.strip()
        )
        # Sign-in: wrong passwords per account (from browsers without the account's device
        # cookie) before each further try must wait BASE, 2×BASE, 4×BASE … seconds (at most
        # MAX), counted over WINDOW seconds; the device cookie lasts DAYS (app/auth/throttle.py).
        self.LOGIN_FREE_FAILURES = _int("LOGIN_FREE_FAILURES", 5)
        self.LOGIN_DELAY_BASE_SECONDS = _int("LOGIN_DELAY_BASE_SECONDS", 1)
        self.LOGIN_DELAY_MAX_SECONDS = _int("LOGIN_DELAY_MAX_SECONDS", 300)
        self.LOGIN_FAILURE_WINDOW_SECONDS = _int("LOGIN_FAILURE_WINDOW_SECONDS", 24 * 3600)
        self.LOGIN_DEVICE_COOKIE_DAYS = _int("LOGIN_DEVICE_COOKIE_DAYS", 365)
        self.EVENT_REGISTER_LIMIT = os.environ.get("EVENT_REGISTER_LIMIT") or "10 per hour"
        self.WALL_SENSITIVE_WORDS_FILE = os.environ.get("WALL_SENSITIVE_WORDS_FILE") or None
        # Links in e-mails sent outside a web request (commands, the API's workers).
        self.SITE_URL = os.environ.get("SITE_URL") or "http://127.0.0.1:5000"
        # Who runs the site (主办单位, in the footer of every page and in the privacy notice),
        # the hotline people can call (12345, the citizen service hotline, until the operator
        # sets its own) and the ICP filing number (备案号, shown only when set, linking to
        # beian.miit.gov.cn as Chinese sites must); see docs/journey/home.md.
        self.SITE_OPERATOR_ZH = os.environ.get("SITE_OPERATOR_ZH") or "陆家嘴金融城楼宇党建和楼事会"
        self.SITE_OPERATOR_EN = os.environ.get("SITE_OPERATOR_EN") or "Lujiazui Financial City building Party organisations and building-affairs councils"
        # One hotline for the footer, the A4 poster and every public page: an office line, never
        # a person's own number.  12345 is Shanghai's citizen service hotline.  CONTACT_HOTLINE
        # (the poster's own setting until issue 17 ended) is still read as a fallback.
        self.SITE_HOTLINE = os.environ.get("SITE_HOTLINE") or os.environ.get("CONTACT_HOTLINE") or "12345"
        self.ICP_NUMBER = os.environ.get("ICP_NUMBER") or ""
        # Largest request body (uploads included): 5 attachments of 5 MB plus the form.
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 26 * 1024 * 1024)
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.ENV_NAME == "production")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PREFERRED_URL_SCHEME = "https" if self.SESSION_COOKIE_SECURE else "http"
        self.HSTS = self.SESSION_COOKIE_SECURE
        # Behind one reverse proxy (nginx) in production: trust one X-Forwarded-* hop.
        self.PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 1 if self.ENV_NAME == "production" else 0)

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_NAME = "loushi_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    WTF_CSRF_TIME_LIMIT = 4 * 3600
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = "20 per 10 minutes"  # sign-in POSTs per address, any account
    TWO_STEP_LIMIT = "5 per 10 minutes"  # wrong codes per account
    RESET_LIMIT = "5 per hour"  # "forgot password" requests per address and per IP
    TWO_STEP_PENDING_SECONDS = 300  # between the password and the code
    SEND_FILE_MAX_AGE_DEFAULT = 3600


class DevelopmentConfig(Config):
    """``make run``: plain http on 127.0.0.1, so cookies cannot require https."""

    ENV_NAME = "development"
    DEFAULT_SMS_GATEWAY = "console"


class TestingConfig(Config):
    """The test suite: its own database (``TEST_DATABASE_URL`` or a SQLite file per run)."""

    ENV_NAME = "testing"
    TESTING = True
    __test__ = False  # not a pytest test class

    def __init__(self, instance_path: Path | None = None) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = secrets.token_urlsafe(32)
        url = os.environ.get("TEST_DATABASE_URL")
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            url or f"sqlite:///{Path(self.INSTANCE_PATH) / 'test.sqlite3'}"
        )
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = None
        self.SMS_GATEWAY = None  # the SMS tests choose their gateway
        self.WALL_MIN_FILL_SECONDS = 0  # the test of the minimum fill time sets its own
        # A cheap password hash: scrypt costs ~0.1 s per seeded account and per sign-in, which
        # was a third of the suite's time.  Production keeps Werkzeug's default (scrypt).
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestingConfig}


def config_from_env() -> Config:
    name = os.environ.get("LOUSHI_ENV", "production").strip().lower()
    return CONFIGS.get(name, Config)()
