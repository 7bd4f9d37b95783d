"""10,000 distinct spellings of the same pages add no cache entry (issue 24 item 5), and Redis stays in its bound."""

import http.client
import threading

from .conftest import Redis
from .helpers import public_pages, quoted


def _keys(redis, prefix: str) -> int:
    return int(redis.command("eval", f"return #redis.call('keys', '{prefix}:*')", "0").strip())


def test_ten_thousand_page_and_number_spellings_add_no_entry(scaleout_site, redis):
    site = scaleout_site
    for path in public_pages(site):
        site.get(quoted(path))
    episode = next(p for p in public_pages(site) if p.startswith("/episode/"))
    number = episode.rsplit("/", 1)[1]
    paths = (
        [f"/?page={1000 + n}" for n in range(3000)]
        + [f"/archive/?page={n}&utm_source=x" for n in range(2000)]
        + [f"/episode/{'0' * (1 + n % 50)}{number}?n={n}" for n in range(2500)]
        + [f"/?utm_source={n}" for n in range(2500)]
    )
    assert len(set(paths)) == 10_000
    prefix = site.env["CACHE_KEY_PREFIX"]
    before = _keys(redis, prefix)
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def send(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
        for path in chunk:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=send, args=(paths[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    added = _keys(redis, prefix) - before
    print(f"\n10,000 distinct URLs: {statuses}, {added} cache entries added")
    assert set(statuses) <= {200, 301, 404}
    assert added <= 0


def test_redis_with_the_documented_bound_keeps_to_it():
    """docs/deploy.md: maxmemory with allkeys-lru; writes past it evict old entries and never fail."""
    import redis as redis_client

    server = Redis(maxmemory="8mb")
    try:
        client = redis_client.Redis(port=server.port)
        for n in range(2000):
            client.set(f"zundapod:page:{n}", b"x" * 20_000)  # 40 MB of pages into 8 MB
        used = client.info("memory")["used_memory"]
        print(f"\nredis maxmemory 8mb: 40 MB written, used_memory {used / 1e6:.1f} MB")
        assert used <= 9 * 1024 * 1024  # Redis evicts once past the bound: at most one entry over
    finally:
        server.kill()
