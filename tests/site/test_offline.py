"""The service worker for offline listening: served at the root, never cached for long."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_service_worker_is_served_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.text
    assert 'const CACHE = "zundapod-offline-v1";' in body
    assert "Content-Range" in body  # kept audio answers byte ranges


def test_only_reads(client):
    assert client.post("/sw.js").status_code == 405


def test_lists_point_at_it(client):
    from tests.factories import make_episode

    make_episode()
    assert 'data-service-worker="/sw.js"' in client.get("/").text
