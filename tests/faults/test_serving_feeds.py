"""An unpublished episode leaves every feed within 5 s though a feed's builder died (issue 24 item 4)."""

import signal
import subprocess
import time

from .conftest import BIN, ROOT
from .helpers import numbers_in, public_pages, quoted


def test_unpublished_is_out_of_every_feed_within_five_seconds(scaleout_site):
    site = scaleout_site
    feeds = [quoted(path) for path in public_pages(site) if path.endswith("feed.xml")]
    number = max(numbers_in(site.get("/feed.xml").text))
    showing = [path for path in feeds if number in numbers_in(site.get(path).text)]
    assert len(showing) >= 2  # the station's feed and its show's
    # A worker killed mid-build leaves its lease behind, never renewed nor given back; then an
    # editor unpublishes (the admin's 非公開 action is this UPDATE).
    site.shell(
        "from django.core.cache import cache\n"
        "from episodes.feeds import cache as feed_cache, rss as feeds\n"
        "from episodes.catalogue.models import Episode\n"
        "lease = getattr(feed_cache, 'BUILD_LEASE_SECONDS', None) or getattr(feed_cache, 'BUILD_LOCK_SECONDS')\n"
        f"for path in {showing!r}:\n"
        "    from urllib.parse import unquote\n"
        "    cache.add(feed_cache.store.cache_key(feeds.ready_key(unquote(path))) + ':building', 'killed', lease)\n"
        f"Episode.objects.filter(number={number}).update(status=Episode.Status.DRAFT)\n"
    )
    unpublished = time.monotonic()
    remaining = set(showing)
    while remaining and time.monotonic() - unpublished < 30:
        remaining = {path for path in remaining if number in numbers_in(site.get(path).text)}
        time.sleep(0.05)
    gone = time.monotonic() - unpublished
    print(f"\nunpublished #{number}: out of {len(showing)} feeds after {gone:.2f} s (a dead builder's lease held)")
    assert not remaining
    assert gone <= 5


BUILDER = """
import pathlib, threading, time
from urllib.parse import unquote
from episodes.feeds import cache as feed_cache, rss as feeds
from episodes.serving import ready_bytes

folder = pathlib.Path({folder!r})

def build(path):
    def slow():
        (folder / str(abs(hash(path)))).write_text(path)  # observable: the lease is held, the build under way
        time.sleep(600)
    return slow

state = ready_bytes.current_state()
for path in {paths!r}:
    key = feeds.ready_key(unquote(path))
    threading.Thread(target=feed_cache._build_once, args=(key, state, build(path), "application/rss+xml")).start()
"""


def test_a_builder_killed_mid_build_keeps_no_unpublished_episode(scaleout_site, tmp_path):
    """A real process builds every feed (feed_cache's lease, renewed by its thread) and is SIGKILLed mid-build."""
    site = scaleout_site
    feeds = [quoted(path) for path in public_pages(site) if path.endswith("feed.xml")]
    number = max(numbers_in(site.get("/feed.xml").text))
    showing = [path for path in feeds if number in numbers_in(site.get(path).text)]
    assert len(showing) >= 2
    started = tmp_path / "building"
    started.mkdir()
    builder = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "shell", "--no-imports", "-c", BUILDER.format(folder=str(started), paths=showing)],
        cwd=ROOT, env=site.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(list(started.iterdir())) < len(showing):
            assert builder.poll() is None and time.monotonic() < deadline, "the builder did not start its builds"
            time.sleep(0.05)
        time.sleep(1.5)  # past a lease's first renewal: the leases are the live builder's own
        held = site.shell(
            "from urllib.parse import unquote\n"
            "from django.core.cache import cache\n"
            "from episodes.feeds import cache as feed_cache, rss as feeds\n"
            f"print(sum(cache.get(feed_cache.store.cache_key(feeds.ready_key(unquote(p))) + ':building') is not None"
            f" for p in {showing!r}))"
        )
        assert int(held.split()[-1]) == len(showing)  # renewed by the builder, seconds past one lease
        builder.send_signal(signal.SIGKILL)
        builder.wait()
    finally:
        if builder.poll() is None:
            builder.kill()
            builder.wait()
    site.shell(
        f"from episodes.catalogue.models import Episode; Episode.objects.filter(number={number}).update(status='draft')"
    )
    unpublished = time.monotonic()
    remaining = set(showing)
    while remaining and time.monotonic() - unpublished < 30:
        remaining = {path for path in remaining if number in numbers_in(site.get(path).text)}
        time.sleep(0.05)
    gone = time.monotonic() - unpublished
    print(f"\nunpublished #{number}: out of {len(showing)} feeds {gone:.2f} s after their builder was SIGKILLed")
    assert not remaining
    assert gone <= 5
