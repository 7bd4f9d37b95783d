"""Settings for zundapod, read once from environment variables.

The embedded default (SQLite, local media, a file cache) runs anywhere
with no services. `DATABASE_URL`, `REDIS_URL` and the `AWS_*` variables switch
to PostgreSQL, Redis and S3-compatible storage. `.env.example` lists them all.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# A local `.env` (untracked; `make run` writes the secret key there) fills in
# what the real environment does not set. The environment always wins.
load_dotenv(os.environ.get("ZUNDAPOD_ENV_FILE") or BASE_DIR / ".env", override=False)


def env_str(name: str, default: str = "") -> str:
    """Return an environment variable, or the default when unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no variable: 1/true/yes/on mean yes."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read an integer variable, stopping start-up on a malformed value."""
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    """Read a number of seconds (fractions allowed), stopping start-up on a malformed value."""
    value = env_str(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment or in .env "
            "(`make run` generates one), or set DJANGO_DEBUG=1 for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

# The public origin used for absolute links (feeds, guids, Open Graph).
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_str('PORT', '8000')}").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) origin, got {SITE_URL!r}")
SITE_IS_HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", f"127.0.0.1,localhost,{_site.hostname}")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "csp",
    "markdownx",
    "axes",
    # The station's apps, lower layers first (docs/architecture.md says which may import which).
    "episodes.operations",
    "episodes.media",
    "episodes.catalogue",
    "episodes.serving",
    "episodes.analytics",
    "episodes.letters",
    "episodes.feeds",
    "episodes.publishing",
    "episodes.site",
    "episodes.backoffice",
]
# Demo content for `make run` and development (load_demo, seed_demo_downloads); production leaves it out.
if env_bool("ZUNDAPOD_DEMO", True):
    INSTALLED_APPS.append("episodes.demo")

MIDDLEWARE = [
    # Outermost: a slow download must not hold a database connection until its last byte.
    "episodes.serving.release_database.ReleaseDatabaseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # phones (issue 25): every other HTML page compressed too; outside the page cache, which gzips its own.
    "episodes.serving.compression.HTMLGZipMiddleware",
    # Before sessions and CSRF: a cached public page needs neither.
    "episodes.serving.page_cache.PageCacheMiddleware",
    # Just after the page cache: the 503 page at once while the database is out (episodes/serving/outage.py).
    "episodes.serving.outage.OutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses oversized bodies by Content-Length before the CSRF check or a view reads them.
    "episodes.serving.limits.BodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Answers a login that axes refused (too many failures) with the page in episodes/backoffice/login_throttle.py.
    "axes.middleware.AxesMiddleware",
    "episodes.catalogue.request_memo.RequestMemoMiddleware",
]

ROOT_URLCONF = "zundapod.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "episodes.site.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "zundapod.wsgi.application"

# --- Database -------------------------------------------------------------
VAR_DIR = Path(env_str("ZUNDAPOD_VAR_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# 0 by default: under ASGI Django runs each request's code in a thread of its own, so a
# connection kept past its request would stay open in a thread that is gone (Django's advice).
# Health checks: a pooled connection PostgreSQL dropped (a restart, an idle timeout) is replaced, not handed out.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        # A fresh clone has no var/ yet; SQLite cannot create the folder itself.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at
    # BEGIN, so concurrent writers queue on the busy timeout instead of failing
    # half-way through a transaction with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
# Connecting costs more than a page's queries: each PostgreSQL process keeps a pool (Django's
# own, psycopg_pool) and a request takes a connection from it. DB_POOL_SIZE=0 turns it off
# (PgBouncer in front); processes × size must stay under the server's max_connections.
# Django takes persistent connections (DB_CONN_MAX_AGE) or a pool, not both.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 10)
on_postgresql = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if on_postgresql and DB_POOL_SIZE and not DATABASES["default"]["CONN_MAX_AGE"]:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        # A request that waits longer for a connection fails (the 503 page) rather than piling up.
        # With the server down nobody waits this long: see episodes/serving/postgresql/base.py.
        "timeout": env_float("DB_POOL_TIMEOUT", 10),
        # Give up reconnecting after this and try afresh on the next request: after a long outage
        # the pool reconnects within a second of the server's return, not after a doubled backoff.
        "reconnect_timeout": env_float("DB_RECONNECT_TIMEOUT", 2),
    }
if on_postgresql:
    # A server that does not answer (gone from the network) costs seconds, not the OS's two minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 2))
    # Django's backend, whose pool stops waiting once the server refuses connections (a stopped server).
    DATABASES["default"]["ENGINE"] = "episodes.serving.postgresql"
    # faults2 (issue 24): a server that stops answering on an open connection (gone from the
    # network, frozen) is noticed by the client: TCP keepalives and tcp_user_timeout (libpq).
    DATABASES["default"]["OPTIONS"].update(
        keepalives=1,
        keepalives_idle=env_int("DB_KEEPALIVES_IDLE", 5),
        keepalives_interval=env_int("DB_KEEPALIVES_INTERVAL", 2),
        keepalives_count=env_int("DB_KEEPALIVES_COUNT", 2),
        tcp_user_timeout=env_int("DB_TCP_USER_TIMEOUT_MS", 5000),
    )
    # Web processes only (zundapod/asgi.py and wsgi.py set ZUNDAPOD_WEB_PROCESS): no page waits on a
    # query longer than this. Never the worker (`qcluster` aggregates for minutes) or manage.py.
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
    if env_bool("ZUNDAPOD_WEB_PROCESS", False) and sys.argv[1:2] != ["qcluster"] and DB_STATEMENT_TIMEOUT_MS:
        DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A dead or unreachable Redis must cost a listener well under a second (episodes/serving/outage.py).
            "OPTIONS": {
                "socket_connect_timeout": env_float("REDIS_CONNECT_TIMEOUT", 0.5),
                "socket_timeout": env_float("REDIS_TIMEOUT", 1),
            },
        }
    }
else:
    # One cache for every process on this machine and no server to run, so
    # `make run` can start a process per core (see episodes/serving/file_cache.py).
    CACHES = {
        "default": {
            "BACKEND": "episodes.serving.file_cache.FileCache",
            "LOCATION": VAR_DIR / "cache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Several sites (or test runs) can share one Redis: each keeps to its own prefix.
CACHES["default"]["KEY_PREFIX"] = env_str("CACHE_KEY_PREFIX")

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Behind nginx: the internal location that serves MEDIA_ROOT (e.g. /_media/); the app then
# only decides (404, type) and nginx sends the bytes with X-Accel-Redirect. Empty: the app streams.
MEDIA_ACCEL_REDIRECT = env_str("MEDIA_ACCEL_REDIRECT")

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
MEDIA_ON_S3 = bool(AWS_STORAGE_BUCKET_NAME)

STORAGES = {
    # FileSystemStorage that leaves no partial file when the disk fills up (episodes/media/storage.py).
    "default": {"BACKEND": "episodes.media.storage.MediaFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if MEDIA_ON_S3:
    STORAGES["default"] = {
        # S3Storage that keeps pending uploads and not-yet-public episodes' objects private (episodes/media/s3.py).
        "BACKEND": "episodes.media.s3.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            # A CDN host in front of the bucket, e.g. media.example.com.
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
            # Public objects get plain URLs; private buckets get signed ones.
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            # e.g. public-read where the bucket uses ACLs; with a bucket policy, leave empty.
            "default_acl": env_str("AWS_DEFAULT_ACL") or None,
            "location": env_str("ZUNDAPOD_MEDIA_PREFIX", ""),
            # Never overwrite: a replaced file must get a new URL.
            "file_overwrite": False,
            # SigV2 is deprecated on AWS and unsupported elsewhere (R2).
            "signature_version": "s3v4",
            # Signed URLs must outlive a cached feed (7 days is SigV4's maximum).
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 7 * 24 * 3600),
            # Every upload has a fresh key, so its bytes never change: let CDNs and apps keep them.
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    }

# How long a presigned URL to a draft's or pending object lasts on S3 (episodes/media/s3.py).
AWS_PRIVATE_URL_SECONDS = env_int("AWS_PRIVATE_URL_SECONDS", 15 * 60)

# Request bodies (413 above these, before anything reads them; episodes/serving/limits.py). The
# letters form holds 2,000 characters, percent-encoded; staff get MAX_UPLOAD_BYTES for audio.
LETTERS_MAX_BODY_BYTES = env_int("LETTERS_MAX_BODY_BYTES", 32 * 1024)
PUBLIC_MAX_BODY_BYTES = env_int("PUBLIC_MAX_BODY_BYTES", 64 * 1024)

# Uploads above this size are streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ---------------------------------------------------------------
# On the letters form an expired token re-shows the letter instead of losing it.
CSRF_FAILURE_VIEW = "episodes.site.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy (nginx, a load balancer) set this so Django
# knows the original request was HTTPS.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A public https origin means production: cookies and redirects follow it.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", SITE_IS_HTTPS)
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SITE_IS_HTTPS else 0)
# includeSubDomains binds every subdomain to HTTPS too, and preload (once the domain is on the
# browsers' list) for months whatever the header says later: each is the owner's explicit choice.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# check --deploy recommends both; leaving them off is the choice above, not an oversight.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Only what the pages use: our own files, cover images and audio from https
# hosts (the archive keeps audio on cloud storage), and YouTube's player,
# which is inserted only after a listener clicks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "media-src": [SELF, "https:"],
        "frame-src": ["https://www.youtube-nocookie.com"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Admin login throttling (django-axes) -------------------------------------
# After LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, or from one
# address for any names, that pair or address waits LOGIN_COOLOFF_MINUTES (since its last failure).
AUTHENTICATION_BACKENDS = [
    "episodes.backoffice.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# A user name from one address, and an address whatever the name: nobody can lock someone else's name
# (issue 24, finding 8). Across addresses a name is only slowed (episodes/backoffice/login_throttle.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_WHITELIST_CALLABLE = "episodes.backoffice.login_throttle.not_counted"
LOGIN_NAME_SLOWDOWN_AFTER = env_int("LOGIN_NAME_SLOWDOWN_AFTER", 20)
LOGIN_NAME_SLOWDOWN_SECONDS = env_int("LOGIN_NAME_SLOWDOWN_SECONDS", 2)
AXES_RESET_ON_SUCCESS = True
# The address the letters' rate limit uses: REMOTE_ADDR, or the trusted proxy's header.
AXES_CLIENT_IP_CALLABLE = "episodes.backoffice.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "episodes.backoffice.login_throttle.locked_out"
# Failures are kept (staff see them in the admin and `axes_reset` clears them); successes are not logged.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner in every manage.py command's output; lockouts are still logged as warnings.
AXES_VERBOSE = False
# axes' admin in Japanese: its heading from episodes.backoffice.apps.AxesConfig, its labels from episodes/backoffice/locale/ja.
INSTALLED_APPS[INSTALLED_APPS.index("axes")] = "episodes.backoffice.apps.AxesConfig"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Markdown editor --------------------------------------------------------
# Preview uses the same renderer and sanitiser as saved content.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "episodes.catalogue.markdown.render_markdown"
MARKDOWNX_MEDIA_PATH = "markdown/"
MARKDOWNX_UPLOAD_MAX_SIZE = 10 * 1024 * 1024

# --- Site -------------------------------------------------------------------
SITE_NAME = env_str("SITE_NAME", "ずんだもん技術室AI放送局")
EPISODES_PER_PAGE = env_int("EPISODES_PER_PAGE", 20)
# The share button's hashtag (without #) and the station's X account (without @) in the footer.
SITE_HASHTAG = env_str("SITE_HASHTAG", "AIずんだもん").lstrip("#")
SITE_X_ACCOUNT = env_str("SITE_X_ACCOUNT").lstrip("@")

# --- Feeds ------------------------------------------------------------------
# Items per feed; 0 means every published episode.
FEED_ITEM_LIMIT = env_int("FEED_ITEM_LIMIT", 0) or None
# How long a built feed stays in the cache (its key changes with the content anyway).
FEED_CACHE_SECONDS = env_int("FEED_CACHE_SECONDS", 86400)
# What apps and proxies may reuse without asking again.
FEED_MAX_AGE = env_int("FEED_MAX_AGE", 300)
# A WebSub hub (e.g. https://pubsubhubbub.appspot.com/) that feeds name and that is told of every
# publication, so subscribed apps hear of an episode when it goes out; empty: no hub.
WEBSUB_HUB_URL = env_str("WEBSUB_HUB_URL", "")
if MEDIA_ON_S3 and STORAGES["default"]["OPTIONS"]["querystring_auth"]:
    # A cached feed must not hand out signed links that have already expired.
    FEED_CACHE_SECONDS = min(FEED_CACHE_SECONDS, STORAGES["default"]["OPTIONS"]["querystring_expire"] // 2)

# --- External audio -----------------------------------------------------------
# Bytes a probe may download when a server ignores Range requests.
PROBE_AUDIO_MAX_DOWNLOAD = env_int("PROBE_AUDIO_MAX_DOWNLOAD", 300 * 1024 * 1024)
# Probe only public hosts (no loopback, private or link-local addresses) unless this is on.
PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = env_bool("PROBE_AUDIO_ALLOW_PRIVATE_HOSTS", False)
# Seconds the admin waits for an external audio URL before saving without its metadata.
PROBE_AUDIO_ADMIN_TIMEOUT = env_int("PROBE_AUDIO_ADMIN_TIMEOUT", 5)

# --- Shared by several apps ---------------------------------------------------
# The most bytes of files an authenticated caller may upload at once: one POST /api/v1/episodes
# (the MP3, script, timeline and post) or one admin form (serving/limits.py).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 300 * 1024 * 1024)
# Set only behind a proxy that writes the client's address there (e.g. X-Forwarded-For);
# empty means REMOTE_ADDR. Anyone can send the header when no proxy overwrites it. Letters,
# download analytics and login throttling all read the client this one way (serving/client_ip.py).
TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER")

# --- Publishing API ---------------------------------------------------------
# What one editor's uploads not yet saved with an episode may hold (episodes/media/pending_uploads.py).
PENDING_UPLOAD_QUOTA_BYTES = env_int("PENDING_UPLOAD_QUOTA_BYTES", 1024 * 1024 * 1024)

# --- Listener letters (お便り) ------------------------------------------------
# Staff e-mailed when a letter arrives (comma-separated); empty: nobody is e-mailed.
LETTERS_NOTIFY_EMAILS = env_list("LETTERS_NOTIFY_EMAILS")
# At most LETTERS_RATE_LIMIT letters per sender in any LETTERS_RATE_WINDOW seconds (0: no limit).
LETTERS_RATE_LIMIT = env_int("LETTERS_RATE_LIMIT", 5)
LETTERS_RATE_WINDOW = env_int("LETTERS_RATE_WINDOW", 600)
# Secret for hashing senders' addresses; empty means SECRET_KEY.
LETTERS_CLIENT_HASH_SALT = env_str("LETTERS_CLIENT_HASH_SALT")

# --- Download analytics -------------------------------------------------------
# Off: audio requests are not recorded at all (the bench compares the audio path with and without).
ANALYTICS_RECORDING = env_bool("ANALYTICS_RECORDING", True)
# The longest the audio path waits on a lock to record a hit; past it the hit is dropped (recording.py).
ANALYTICS_RECORD_WAIT_MS = env_int("ANALYTICS_RECORD_WAIT_MS", 200)
# After a write failed, hits wait in memory this long before the next try (one bounded wait per interval).
ANALYTICS_RECORD_BACKOFF_SECONDS = env_int("ANALYTICS_RECORD_BACKOFF_SECONDS", 2)
# The counting rules' per-address limits (analytics/rules.py): more distinct user agents than this for one
# episode from one address in a day count as one listener; an address counts at most this many downloads a day.
ANALYTICS_MAX_AGENTS_PER_ADDRESS = env_int("ANALYTICS_MAX_AGENTS_PER_ADDRESS", 5)
ANALYTICS_MAX_DOWNLOADS_PER_ADDRESS = env_int("ANALYTICS_MAX_DOWNLOADS_PER_ADDRESS", 50)
# On: feeds and pages point at /listen/<episode>/<file> (records, then 302) for audio this site does not serve.
ANALYTICS_LISTEN_URLS = env_bool("ANALYTICS_LISTEN_URLS", False)
# Folder of the OPAWG user-agents files that update_user_agents writes; empty: the copy shipped in the code.
ANALYTICS_USER_AGENTS_DIR = env_str("ANALYTICS_USER_AGENTS_DIR")

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A slow mail server must not hold a listener's request for long (the letter is already stored).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Background worker (django-q2; episodes/operations/tasks.py, docs/deploy.md "Background jobs") -------
# One worker (`manage.py qcluster`) runs every periodic job and every side effect of a save
# (WebSub pings, external-audio probes) off the request. Its queue is the database (the ORM
# broker), so SQLite works with no server and PostgreSQL across machines; each schedule row is
# locked while a worker turns it into a task, so a job runs once per period however many run.
# Before episodes: its admin module takes django-q2's English admin pages out (episodes/backoffice/admin/jobs.py).
INSTALLED_APPS.insert(INSTALLED_APPS.index("episodes.operations"), "django_q")
Q_CLUSTER = {
    "name": "zundapod",
    "orm": "default",
    # Two processes on SQLite (one writer at a time anyway); more where PostgreSQL is shared.
    "workers": env_int("WORKER_PROCESSES", 2),
    # The longest job (probe_audio over an archive) must finish; retry only a task whose worker died.
    "timeout": env_int("WORKER_TASK_TIMEOUT", 1800),
    "retry": env_int("WORKER_TASK_TIMEOUT", 1800) + 60,
    "max_attempts": 3,
    # A failed task is recorded and shown, not re-run: periodic jobs try again at their next period.
    "ack_failures": True,
    # A worker down for a day runs each missed job once when it comes back, not once per missed period.
    "catch_up": False,
    # The last 50 results of each job are kept for the dashboard; purge_job_results drops older failures.
    "save_limit": 50,
    "save_limit_per": "func",
    "poll": 1,
    "label": "バックグラウンドジョブ",
}
# django-q2 forks its processes once Django has started: a connection pool opened before the
# fork would be shared by them (psycopg then reads another process's answers). The worker
# opens a plain connection per process instead; it needs no pool.
if sys.argv[1:2] == ["qcluster"] and "pool" in DATABASES["default"].get("OPTIONS", {}):
    del DATABASES["default"]["OPTIONS"]["pool"]
# The worker logs each task it takes and runs; anywhere else (an import queuing a rendition per
# image, an admin save) django-q2's "Enqueued" lines would bury the command's own output.
LOGGING["loggers"] = {"django-q": {"level": "INFO" if sys.argv[1:2] == ["qcluster"] else "WARNING"}}
# The worker's daily `backup` job writes here (manage.py backup) and keeps the newest BACKUP_KEEP; empty: no job backup.
BACKUP_DIR = env_str("BACKUP_DIR")
BACKUP_KEEP = env_int("BACKUP_KEEP", 7)
# /healthz says the worker is stalled when a job is this many minutes past its due time.
WORKER_STALLED_AFTER_MINUTES = env_int("WORKER_STALLED_AFTER_MINUTES", 10)

# --- /healthz for load balancers (episodes/serving/health.py) ---------------------------------------
# Loopback always; add the balancer's internal networks (CIDR, comma-separated). Such a client
# gets /healthz whatever its Host header and over plain http; every other request is unchanged.
HEALTHZ_ALLOWED_NETWORKS = env_list("HEALTHZ_ALLOWED_NETWORKS")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware"),
    "episodes.serving.health.InternalHealthzMiddleware",
)
