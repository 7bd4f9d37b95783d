"""Settings come from the environment; production settings pass check --deploy."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .factories import make_episode

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a" * 20 + "-production-secret-with-enough-variety-0123456789",
    "SITE_URL": "https://podcast.example.jp",
    "DJANGO_ALLOWED_HOSTS": "podcast.example.jp",
}
# Variables that must not leak in from the machine running the tests.
CLEARED = ["DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "SITE_URL"]
CLEARED += ["ZUNDAPOD_WEB_PROCESS"]  # set by zundapod/asgi.py while settings load


def run(args, env, tmp_path):
    full_env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    full_env.update(
        {
            "ZUNDAPOD_VAR_DIR": str(tmp_path),
            "ZUNDAPOD_ENV_FILE": str(tmp_path / "no.env"),
            "DJANGO_SETTINGS_MODULE": "zundapod.settings",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=120
    )


def settings_of(env, tmp_path, *names):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = run([str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_hsts_subdomains_and_preload_only_when_chosen(tmp_path):
    """Issue 12, finding 15: an https SITE_URL alone sent includeSubDomains and preload."""
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    assert settings_of(PRODUCTION, tmp_path, *names) == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }
    chosen = {**PRODUCTION, "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1", "DJANGO_HSTS_PRELOAD": "1"}
    assert settings_of(chosen, tmp_path, *names)["SECURE_HSTS_PRELOAD"] is True
    assert settings_of(chosen, tmp_path, *names)["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_debug_off_without_secret_key_stops(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run([str(ROOT / "manage.py"), "check"], env, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_embedded_default(tmp_path):
    values = settings_of({"DJANGO_DEBUG": "1"}, tmp_path, "DATABASES", "CACHES", "STORAGES", "MEDIA_ROOT")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["timeout"] >= 5
    assert values["CACHES"]["default"]["BACKEND"] == "episodes.serving.file_cache.FileCache"
    assert values["CACHES"]["default"]["LOCATION"] == str(tmp_path / "cache")
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert values["MEDIA_ROOT"] == str(tmp_path / "media")


def test_sqlite_is_really_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = run(["-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], {"DJANGO_DEBUG": "1"}, tmp_path)
    assert result.stdout.strip() == "wal", result.stderr


def test_scale_out_parts_switch_on_from_the_environment(tmp_path):
    env = {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://user:pw@db.internal:5432/zundapod",
        "REDIS_URL": "redis://cache.internal:6379/1",
        "AWS_STORAGE_BUCKET_NAME": "podcast-media",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_S3_CUSTOM_DOMAIN": "media.example.jp",
    }
    values = settings_of(env, tmp_path, "DATABASES", "CACHES", "STORAGES")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "episodes.serving.postgresql"  # Django's, with a pool that gives up on a refusing server
    assert (db["HOST"], db["NAME"], db["USER"]) == ("db.internal", "zundapod", "user")
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/1"
    storage = values["STORAGES"]["default"]
    assert storage["BACKEND"] == "episodes.media.s3.S3MediaStorage"
    assert storage["OPTIONS"]["bucket_name"] == "podcast-media"
    assert storage["OPTIONS"]["custom_domain"] == "media.example.jp"
    assert storage["OPTIONS"]["file_overwrite"] is False
    assert db["CONN_MAX_AGE"] == 0
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 10, "timeout": 10, "reconnect_timeout": 2}
    assert db["OPTIONS"]["connect_timeout"] == 2
    assert db["CONN_HEALTH_CHECKS"] is True  # a pooled connection the server dropped is not handed out
    assert values["CACHES"]["default"]["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 1}


@pytest.mark.parametrize(
    ("chosen", "pool"),
    [
        (
            {"DB_POOL_SIZE": "4", "DB_POOL_TIMEOUT": "3"},
            {"min_size": 1, "max_size": 4, "timeout": 3, "reconnect_timeout": 2},
        ),
        ({"DB_POOL_SIZE": "0"}, None),  # PgBouncer in front
        ({"DB_CONN_MAX_AGE": "60"}, None),  # Django allows persistent connections or a pool, not both
    ],
)
def test_postgresql_pool_as_chosen(tmp_path, chosen, pool):
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://user:pw@db.internal:5432/zundapod", **chosen}
    db = settings_of(env, tmp_path, "DATABASES")["DATABASES"]["default"]
    assert db.get("OPTIONS", {}).get("pool") == pool


@pytest.mark.parametrize("bad", ["ftp://example.com", "not a url"])
def test_bad_site_url_stops(tmp_path, bad):
    result = run([str(ROOT / "manage.py"), "check"], {"DJANGO_DEBUG": "1", "SITE_URL": bad}, tmp_path)
    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


@pytest.mark.django_db
def test_pages_speak_japanese_on_japan_time(client):
    """Listeners read Japanese and Japan's dates: 21:30 UTC on the 20th is the 21st, 06:30."""
    make_episode(number=7, published_at=datetime(2025, 8, 20, 21, 30, tzinfo=UTC))
    page = client.get("/episode/7").content.decode()
    assert 'lang="ja"' in page
    assert "2025年8月21日（木） 06:30" in page
    assert "ユーザー名" in client.get("/admin/login/").content.decode()


# --- faults2 (issue 24): client-side limits on a PostgreSQL that stops answering --------------

PG_ENV = {**PRODUCTION, "DATABASE_URL": "postgres://user@db.internal:5432/zundapod"}
DATABASE_OPTIONS = (
    "import sys, json; sys.path.insert(0, {root!r}); sys.argv = {argv!r}; {entry}"
    "from django.conf import settings; print(json.dumps(settings.DATABASES['default']['OPTIONS'], default=str))"
)


def database_options(tmp_path, *, argv=("pytest",), entry="import django; django.setup(); ", **env) -> dict:
    code = DATABASE_OPTIONS.format(root=str(ROOT), argv=list(argv), entry=entry)
    result = run(["-c", code], {**PG_ENV, **env}, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_web_processes_get_a_statement_timeout_the_worker_and_commands_do_not(tmp_path):
    web = database_options(tmp_path, entry="import zundapod.asgi; ")  # what uvicorn imports
    assert web["options"] == "-c statement_timeout=5000"
    assert (web["keepalives"], web["keepalives_idle"], web["tcp_user_timeout"]) == (1, 5, 5000)
    assert database_options(tmp_path, entry="import zundapod.wsgi; ")["options"] == "-c statement_timeout=5000"

    command = database_options(tmp_path, argv=["manage.py", "aggregate_downloads"])
    assert "options" not in command and command["keepalives"] == 1
    worker = database_options(tmp_path, argv=["manage.py", "qcluster"], ZUNDAPOD_WEB_PROCESS="1")
    assert "options" not in worker  # even when started from a web process's environment


QUEUE_LOG_LEVEL = (
    "import sys, logging; sys.path.insert(0, {root!r}); sys.argv = {argv!r}; import django; django.setup(); "
    "print(logging.getLevelName(logging.getLogger('django-q').getEffectiveLevel()))"
)


def test_only_the_worker_logs_each_queued_task(tmp_path):
    def level(argv):
        result = run(["-c", QUEUE_LOG_LEVEL.format(root=str(ROOT), argv=argv)], PRODUCTION, tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert level(["manage.py", "qcluster"]) == "INFO"
    assert level(["manage.py", "import_jekyll"]) == "WARNING"


def test_a_web_processes_statement_timeout_holds_on_a_real_server(tmp_path):
    """The local PostgreSQL (make test-postgres's): a query past the timeout is cancelled, not waited for."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    code = (
        "import time; import zundapod.asgi; from django.db import connection, OperationalError; "
        "started = time.monotonic()\n"
        "try:\n"
        "    connection.cursor().execute('SELECT pg_sleep(5)'); print('finished')\n"
        "except OperationalError as exc:\n"
        "    print(type(exc.__cause__).__name__, round(time.monotonic() - started, 2))\n"
    )
    env = {
        **PRODUCTION,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "DB_STATEMENT_TIMEOUT_MS": "300",
    }
    result = run(["-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    kind, seconds = result.stdout.split()[-2:]
    assert kind == "QueryCanceled"
    assert float(seconds) < 2
