"""Ready pages and feeds answered before Django's request cycle (episodes/serving/ready_asgi.py), over real HTTP."""

import gzip
import http.client

import pytest
from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_started
from django.db import connections

from episodes.catalogue.models import Episode
from episodes.serving import ready_asgi
from tests.factories import make_daily_show, make_episode, make_show
from tests.live_servers import live_server

# The server thread reads what the test wrote: committed, not in the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    return make_daily_show()


@pytest.fixture
def server(site):
    with live_server("asgi", app=ready_asgi.wrap(ASGIHandler())) as live:
        yield live.port
    # The layer's lookups keep a connection in asgiref's thread; the test database must be droppable.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def django_requests():
    seen = []

    def count(**kwargs):
        seen.append(1)

    request_started.connect(count)
    yield seen
    request_started.disconnect(count)


def get(port, path, headers=None, method="GET", client="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(client, 0))
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/episode/2", "/feed.xml", "/shows/daily/feed.xml"])
def test_second_request_skips_django_with_the_same_answer(server, django_requests, path):
    status, first_headers, first = get(server, path, {"Accept-Encoding": "gzip"})
    assert status == 200 and len(django_requests) == 1
    status, headers, again = get(server, path, {"Accept-Encoding": "gzip"})
    assert status == 200 and again == first
    assert len(django_requests) == 1
    assert set(headers) - {"date", "server"} == set(first_headers) - {"date", "server"}
    for name in ("content-type", "etag", "last-modified", "vary", "content-security-policy", "content-length"):
        assert headers.get(name) == first_headers.get(name), name
    assert headers["content-encoding"] == "gzip"
    assert ready_asgi.MARK.lower() not in headers and ready_asgi.MARK.lower() not in first_headers


def test_plain_304_and_head_from_the_ready_bytes(server, django_requests):
    _, headers, body = get(server, "/", {"Accept-Encoding": "gzip"})
    status, plain_headers, plain = get(server, "/")
    assert status == 200 and plain == gzip.decompress(body) and "content-encoding" not in plain_headers
    status, _, empty = get(server, "/", {"If-None-Match": headers["etag"]})
    assert status == 304 and empty == b""
    status, head_headers, empty = get(server, "/", method="HEAD")
    assert status == 200 and empty == b"" and head_headers["content-length"] == str(len(plain))
    assert len(django_requests) == 1


def test_an_edit_is_seen_at_once(server):
    assert "放送 2" in get(server, "/episode/2")[2].decode()
    episode = Episode.objects.get(number=2)
    episode.title = "直した題名"
    episode.save()
    assert "直した題名" in get(server, "/episode/2")[2].decode()


def test_staff_and_other_hosts_go_to_django(server, django_requests):
    get(server, "/")
    get(server, "/", {"Cookie": "sessionid=abc"})
    get(server, "/", {"Cookie": 'tracker"=1; sessionid=abc'})  # a malformed pair before the session
    assert len(django_requests) == 3
    status, _, _ = get(server, "/", {"Host": "evil.example.com"})
    assert status == 400


def test_a_japanese_slug_feed_is_served_and_learned(server, django_requests):
    # The demo's shows have Japanese slugs: the private header once came MIME-encoded and the feed was a 500.
    show = make_show(name="ずんだもん技術室デモ放送", slug="ずんだもん技術室デモ放送")
    make_episode(show=show, number=10)
    path = "/shows/%E3%81%9A%E3%82%93%E3%81%A0%E3%82%82%E3%82%93%E6%8A%80%E8%A1%93%E5%AE%A4%E3%83%87%E3%83%A2%E6%94%BE%E9%80%81/feed.xml"
    status, _, first = get(server, path)
    assert status == 200
    status, _, again = get(server, path)
    assert status == 200 and again == first
    assert len(django_requests) == 1


def test_plain_http_is_redirected_as_django_would_though_https_was_learned(site, settings, django_requests):
    """Issue 24 item 13: after one request with X-Forwarded-Proto: https, plain http got the cached 200."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # From 127.0.0.2: a proxy uvicorn does not trust (it trusts 127.0.0.1), so only Django reads the header.
    proxy = "127.0.0.2"
    with live_server("asgi", app=ready_asgi.wrap(ASGIHandler())) as live:
        secure = {"X-Forwarded-Proto": "https"}
        first = get(live.port, "/episode/2", secure, client=proxy)
        assert first[0] == 200 and "strict-transport-security" in first[1]
        again = get(live.port, "/episode/2", secure, client=proxy)
        assert again[0] == 200 and again[2] == first[2]
        assert len(django_requests) == 1  # the https reader keeps the fast path
        for headers in ({}, {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Proto": "http, https"}):
            status, plain_headers, _ = get(live.port, "/episode/2", headers, client=proxy)
            assert status == 301, headers
            assert plain_headers["location"] == f"https://127.0.0.1:{live.port}/episode/2"
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def test_the_proxy_scheme_is_only_trusted_when_configured(site, settings):
    settings.SECURE_SSL_REDIRECT = True
    with live_server("asgi", app=ready_asgi.wrap(ASGIHandler())) as live:
        # Without SECURE_PROXY_SSL_HEADER the header proves nothing: Django redirects, so does the fast path.
        for _ in range(2):
            assert get(live.port, "/", {"X-Forwarded-Proto": "https"}, client="127.0.0.2")[0] == 301
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def test_a_learned_address_of_a_show_answers_301_once_its_slug_changes(server, django_requests, site):
    """The fast path remembers /shows/daily/…; after the slug changes it must not answer from that memory."""
    paths = ("/shows/daily/", "/shows/daily/feed.xml")
    for path in paths:
        assert get(server, path)[0] == 200
        assert get(server, path)[0] == 200
    assert len(django_requests) == 2  # each learned on its first request
    site.slug = "morning"
    site.save()
    for path in paths:
        status, headers, _ = get(server, path)
        assert (status, headers["location"]) == (301, path.replace("daily", "morning"))
    site.slug = "daily"
    site.save()
    for path in paths:
        assert get(server, path)[0] == 200  # and the 301 was not kept either
