"""Feed benchmark: cold build, warm (cached) request and 304, at 500 and 2,000 episodes.

Run with `make bench-feed` (or `.venv/bin/python bench/feed.py`). It uses a fresh
SQLite database in a temporary folder, never your data, and prints one line per
measurement with the SQL query count.
"""

import gzip
import statistics
import time
from datetime import timedelta

from benchsite import cast_and_articles, in_process_site

WORKDIR = in_process_site("zundapod-bench-", SITE_URL="https://podcast.example.jp")

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from episodes.catalogue.models import Actor, Episode, Show, Station  # noqa: E402

REPEATS = 5


def build_archive(total: int) -> None:
    """`total` published episodes, 5 articles and 1 actor each, in bulk."""
    Episode.objects.all().delete()
    show = Show.objects.get(slug="bench")
    actor = Actor.objects.get(slug="zundamon")
    now = timezone.now()
    summary = "**要約**の本文です。" * 20
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show,
            number=n,
            title=f"ベンチ番組 podcast {n}",
            status=Episode.Status.PUBLISHED,
            published_at=now - timedelta(days=n),
            description="今日のニュースの紹介文です。" * 5,
            audio_url=f"https://cdn.example.jp/audio/ベンチ_{n}.mp3",
            audio_size=5_000_000 + n,
            audio_duration=600.0,
            audio_mime_type="audio/mpeg",
            guid=f"https://podcast.example.jp/episode/{n}",
        )
        for n in range(1, total + 1)
    )
    cast_and_articles(episodes, actor, summary=summary, summary_html="<p><strong>要約</strong>の本文です。</p>" * 20)


def measure(client: Client, path: str, **headers) -> tuple[float, int, object]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(path, secure=True, HTTP_ACCEPT_ENCODING="gzip", **headers)
        elapsed = time.perf_counter() - start
    return elapsed * 1000, len(queries.captured_queries), response


def main() -> None:
    call_command("migrate", verbosity=0)
    Station.load()
    actor = Actor.objects.create(name="ずんだもん", slug="zundamon", credit="VOICEVOX:ずんだもん")
    show = Show.objects.create(
        name="ベンチ番組", slug="bench", description="ベンチマーク", author="ベンチ", owner_email="b@example.jp"
    )
    show.hosts.set([actor])
    client = Client()
    print(f"feed benchmark (SQLite in {WORKDIR}, {REPEATS} runs each, median)")
    for total in (500, 2000):
        build_archive(total)
        for path in ("/feed.xml", "/shows/bench/feed.xml"):
            cold, warm, not_modified = [], [], []
            for _ in range(REPEATS):
                cache.clear()
                ms, cold_queries, response = measure(client, path)
                cold.append(ms)
                assert response.status_code == 200
                size = len(response.content)
                raw_size = len(gzip.decompress(response.content))
                ms, warm_queries, _ = measure(client, path)
                warm.append(ms)
                ms, nm_queries, response304 = measure(client, path, HTTP_IF_NONE_MATCH=response["ETag"])
                assert response304.status_code == 304
                not_modified.append(ms)
            print(
                f"{total:>5} episodes {path:<22} {raw_size / 1024:6.0f} KiB ({size / 1024:4.0f} KiB gzip) | "
                f"cold {statistics.median(cold):8.1f} ms ({cold_queries} queries) | "
                f"warm {statistics.median(warm):6.1f} ms ({warm_queries} queries) | "
                f"304 {statistics.median(not_modified):6.1f} ms ({nm_queries} queries)"
            )


if __name__ == "__main__":
    main()
