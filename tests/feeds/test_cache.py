"""Feeds from ready bytes (episodes/feeds/cache.py and episodes/serving/ready_bytes.py)."""

import gzip
import threading
import time

import pytest
from django.core.cache import cache

from episodes.catalogue.models import Episode
from episodes.feeds import cache as feed_cache
from episodes.serving.ready_bytes import MEMORY_PATHS, Ready, State, Store
from tests.factories import make_daily_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    return make_daily_show()


def test_gzip_and_plain_bodies_are_the_same_feed(client, show):
    plain = client.get("/feed.xml")
    zipped = client.get("/feed.xml", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert zipped["ETag"] == f"W/{plain['ETag']}"
    assert client.get("/feed.xml", HTTP_IF_NONE_MATCH=zipped["ETag"]).status_code == 304


def test_gzip_request_costs_one_query_once_built(client, show, django_assert_max_num_queries):
    client.get("/feed.xml", HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_max_num_queries(1):
        assert client.get("/feed.xml", HTTP_ACCEPT_ENCODING="gzip").status_code == 200


def test_304_before_anything_is_built_costs_one_query(client, show, django_assert_max_num_queries):
    etag = client.get("/shows/daily/feed.xml")["ETag"]
    cache.clear()
    feed_cache.store.forget()
    with django_assert_max_num_queries(1):
        assert client.get("/shows/daily/feed.xml", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_head_has_the_headers_and_no_body(client, show):
    response = client.head("/feed.xml", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response.content == b""
    assert response["Content-Encoding"] == "gzip"


def test_built_once_per_state_and_the_old_bytes_are_dropped(client, show):
    keys = set()
    for edit in range(5):
        episode = Episode.objects.get(number=1)
        episode.title = f"編集 {edit}"
        episode.save()
        for path in ("/feed.xml", "/shows/daily/feed.xml"):
            response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
            assert f"編集 {edit}" in gzip.decompress(response.content).decode()
            keys.add(path)
    # One entry per path, whatever the number of edits.
    assert len([key for key in feed_cache.store._memory if key.split("|")[0] in keys]) == 2


def test_one_builder_while_others_wait_for_it():
    state = State(7, None, 3, None)
    builds = []

    def slow_build():
        builds.append(threading.get_ident())
        time.sleep(0.3)
        return b"<rss/>"

    results = []

    def request():
        ready = feed_cache._build_once("/solo.xml|test", state, slow_build, "application/rss+xml")
        results.append(ready.plain)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert results == [b"<rss/>"] * 6


def test_others_get_the_previous_version_while_one_builds():
    key = "/previous.xml|test"
    old, new = State(1, None, 3, None), State(2, None, 3, None)
    feed_cache._build_once(key, old, lambda: b"<old/>", "application/rss+xml")
    started = threading.Event()

    def slow_build():
        started.set()
        time.sleep(0.3)
        return b"<new/>"

    builder = threading.Thread(target=feed_cache._build_once, args=(key, new, slow_build, "application/rss+xml"))
    builder.start()
    started.wait()
    begun = time.monotonic()
    served = feed_cache._build_once(key, new, lambda: b"<second builder/>", "application/rss+xml")
    assert served.plain == b"<old/>"
    assert time.monotonic() - begun < 0.2
    builder.join()
    assert feed_cache.store.get(key, new).plain == b"<new/>"


def test_memory_keeps_a_bounded_number_of_paths():
    store = Store("test-bounded")
    state = State(1, None, 0, None)
    for n in range(MEMORY_PATHS + 10):
        store.put(f"/p/{n}", Ready.make(state=state, key=f"/p/{n}", headers=[], body=b"x"))
    assert len(store._memory) == MEMORY_PATHS
    assert "/p/0" not in store._memory


def test_a_dead_builders_lease_runs_out_within_seconds():
    """Issue 24 item 4: a builder killed mid-build kept its lock 300 s, and the old feed with it."""
    key = "/dead-builder.xml|test"
    old, new = State(1, None, 3, None), State(2, None, 3, None)
    feed_cache._build_once(key, old, lambda: b"<old/>", "application/rss+xml")
    # What a killed process leaves behind: its lease, never given back nor renewed.
    assert cache.add(feed_cache.store.cache_key(key) + ":building", "killed", feed_cache.BUILD_LEASE_SECONDS)
    assert feed_cache._build_once(key, new, lambda: b"<new/>", "application/rss+xml").plain == b"<old/>"
    deadline = time.monotonic() + feed_cache.BUILD_LEASE_SECONDS + 2
    while time.monotonic() < deadline:
        served = feed_cache._build_once(key, new, lambda: b"<new/>", "application/rss+xml").plain
        if served == b"<new/>":
            break
        time.sleep(0.1)
    assert served == b"<new/>"


def test_a_live_builder_renews_its_lease_past_its_length():
    key = "/slow-builder.xml|test"
    old, new = State(1, None, 3, None), State(2, None, 3, None)
    feed_cache._build_once(key, old, lambda: b"<old/>", "application/rss+xml")
    started, builds = threading.Event(), []

    def slow_build():
        builds.append(1)
        started.set()
        time.sleep(feed_cache.BUILD_LEASE_SECONDS * 1.5)
        return b"<new/>"

    builder = threading.Thread(target=feed_cache._build_once, args=(key, new, slow_build, "application/rss+xml"))
    builder.start()
    started.wait()
    time.sleep(feed_cache.BUILD_LEASE_SECONDS * 1.2)  # past the lease's first length: renewed, so still held
    assert feed_cache._build_once(key, new, slow_build, "application/rss+xml").plain == b"<old/>"
    builder.join()
    assert builds == [1]
    assert not cache.get(feed_cache.store.cache_key(key) + ":building")  # given back when done
