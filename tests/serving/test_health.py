"""`/healthz` for load balancers: 200 when database, cache and storage answer, 503 naming what did not."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_q.models import Schedule

from episodes.serving import outage

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_all_parts_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "storage": True,
        "worker": True,
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_dead_cache_is_named(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_a_dead_database_is_named(tmp_path):
    """A separate process whose DATABASE_URL points at a port nobody listens on."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zundapod.settings",
        "DJANGO_SECRET_KEY": "test-only",
        "DATABASE_URL": f"postgres://nobody@127.0.0.1:{closed_port()}/nothing",
        "ZUNDAPOD_VAR_DIR": str(tmp_path),
        "ZUNDAPOD_ENV_FILE": str(tmp_path / "none.env"),
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    env.pop("REDIS_URL", None)
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr[-2000:]
    checks = json.loads(body)["checks"]
    assert checks["database"]["ok"] is False
    assert checks["cache"]["ok"] is True and checks["storage"]["ok"] is True


def test_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


class TestWorker:
    def test_a_stalled_worker_is_reported_and_fails_only_the_monitors_check(self, client):
        Schedule.objects.filter(name="aggregate_downloads").update(next_run=timezone.now() - timedelta(hours=1))
        response = client.get("/healthz")
        assert response.status_code == 200  # the web servers stay in rotation
        assert response.json()["checks"]["worker"] == {"ok": False, "late": ["aggregate_downloads"]}
        assert client.get("/healthz", {"worker": "1"}).status_code == 503

    def test_a_job_due_a_moment_ago_is_not_late(self, client, settings):
        Schedule.objects.update(next_run=timezone.now() - timedelta(minutes=settings.WORKER_STALLED_AFTER_MINUTES - 1))
        assert client.get("/healthz", {"worker": "1"}).json()["checks"]["worker"]["ok"] is True


class TestLoadBalancer:
    """Production settings: one public host and https. A balancer asks by address, over http."""

    @pytest.fixture(autouse=True)
    def production(self, settings):
        settings.ALLOWED_HOSTS = ["podcast.example.jp"]
        settings.SECURE_SSL_REDIRECT = True
        settings.HEALTHZ_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    def test_loopback_by_address_gets_200(self, client):
        response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_a_configured_internal_network_gets_200(self, client):
        assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000", REMOTE_ADDR="10.9.8.7").status_code == 200

    def test_the_public_still_meets_allowed_hosts_and_https(self, client):
        outside = {"REMOTE_ADDR": "203.0.113.9"}
        assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000", **outside).status_code == 400
        assert client.get("/healthz", HTTP_HOST="podcast.example.jp", **outside).status_code == 301
        # Other paths from inside are not exempt either.
        assert client.get("/", HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="127.0.0.1").status_code == 400

    def test_while_the_database_circuit_is_open_healthz_fails_fast_and_liveness_stays(
        self, client, django_assert_num_queries
    ):
        """docs/deploy.md: the balancer checks `?live=1`, a monitor `/healthz`; stale pages stay served meanwhile."""
        inside = {"HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1"}
        outage.database.trip(OperationalError("connection refused"))
        try:
            with django_assert_num_queries(0):  # the open circuit is not asked through
                response = client.get("/healthz", **inside)
                live = client.get("/healthz?live=1", **inside)
        finally:
            outage.database.reset()
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == {"ok": False, "error": "CircuitOpen"}
        assert (live.status_code, live.json()) == (200, {"status": "live"})
        assert client.get("/healthz", **inside).status_code == 200  # closed again: asked again
