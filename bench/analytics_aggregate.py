"""aggregate_downloads over 300,000 raw hits: time and memory, then an incremental run (issue 24, finding 6).

A throwaway site gets 300k raw hits written straight into its table, a mix
an audit would send: 150k from 30,000 ordinary listeners (an iOS probe and
ranges, 2,000 app versions), 100k from 50 addresses rotating through 2,000
user agents each (full downloads), 50k lone probes from 50,000 addresses
with user agents never seen before. A child process (so its peak RSS is the
aggregation's own) runs the command's entry function and reports seconds
and peak RSS; then 1,000 new hits arrive and a second run reads only those.
Target: < 60 s and < 150 MB. Before (commit 40362a5): 12 min 27 s, 373 MB.

    .venv/bin/python bench/analytics_aggregate.py [--rows 300000] [--postgres]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from benchsite import ROOT, drop_database, in_process_site, own_postgres_database

BENCH = Path(__file__).resolve().parent
EPISODES = 12
SIZE = 48_000_000  # 50 minutes at 128 kbps
APPS = [
    "Podcasts/{v}.20 CFNetwork/1408.0.4 Darwin/22.5.0",
    "Spotify/8.{v}.0 Android/33 (SM-G991B)",
    "Overcast/3.{v} (+http://overcast.fm/; iOS podcast app)",
    "AntennaPod/3.{v}.0",
    "PocketCasts/1.{v} (Pocket Casts - Android)",
]


def build(rows: int) -> None:
    """Episodes, and `rows` raw hits of today in the mix above (a fixed seed)."""
    from django.core.management import call_command
    from django.utils import timezone

    from episodes.analytics.models import DownloadHit
    from episodes.catalogue.models import Episode, Show

    call_command("migrate", verbosity=0)
    show = Show.objects.create(name="ベンチ番組", slug="bench", description="ベンチ", author="ベンチ")
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show, number=n, title=f"第{n}回", status=Episode.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=n), audio_url=f"https://cdn.example.jp/{n}.mp3",
            audio_size=SIZE, audio_bitrate=128_000, audio_duration=SIZE * 8 / 128_000, audio_mime_type="audio/mpeg",
        )
        for n in range(1, EPISODES + 1)
    )  # fmt: skip
    rng = random.Random(24)
    now, day = timezone.now(), timezone.localdate()
    ids = [e.pk for e in episodes]
    batch = []

    def hit(address, agent, episode, start, end):
        batch.append(
            DownloadHit(
                at=now, day=day, episode_id=episode, listener=f"{hash((address, agent)) & (2**64 - 1):032x}",
                address=f"{hash(address) & (2**64 - 1):032x}", user_agent=agent[:400], range_start=start,
                range_end=end, source="media",
            )
        )  # fmt: skip
        if len(batch) >= 10_000:
            DownloadHit.objects.bulk_create(batch)
            batch.clear()

    ordinary, rotating, probes = rows // 2, rows // 3, rows - rows // 2 - rows // 3
    for n in range(ordinary // 5):
        address, agent = f"listener-{n}", rng.choice(APPS).format(v=rng.randint(1, 400))
        episode = rng.choice(ids)
        hit(address, agent, episode, 0, 1)
        for k in range(4):
            hit(address, agent, episode, k * 1_000_000, k * 1_000_000 + 999_999)
    for n in range(rotating):
        hit(f"rotator-{n % 50}", f"Podcasts/{n}.{rng.random()} CFNetwork/1408.0.4", rng.choice(ids), 0, None)
    for n in range(probes):
        hit(f"prober-{n}", f"Mozilla/5.0 (X11; Linux) Bench/{n}.{rng.random()}", rng.choice(ids), 0, 1)
    DownloadHit.objects.bulk_create(batch)


def child(workdir: str, postgres: bool) -> None:
    """Run in a process of its own: aggregate, and report seconds and peak RSS as JSON."""
    in_process_site_again(workdir, postgres)
    from episodes.analytics.rules import aggregate_downloads

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = aggregate_downloads(prune=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "setup_mb": before / 1024, "hits": result.hits,
                      "downloads": result.downloads}))  # fmt: skip


def in_process_site_again(workdir: str, postgres: bool) -> None:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "zundapod.settings", "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
                       "ZUNDAPOD_VAR_DIR": workdir, "ZUNDAPOD_ENV_FILE": f"{workdir}/none.env"})  # fmt: skip
    if not postgres:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_child(workdir: Path, postgres: bool) -> dict:
    command = [sys.executable, str(BENCH / "analytics_aggregate.py"), "--child", str(workdir)]
    if postgres:
        command.append("--postgres")
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ, cwd=ROOT)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--postgres", action="store_true", help="a database of its own on DATABASE_URL's server")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return child(options.child, options.postgres)
    database = own_postgres_database() if options.postgres else None
    try:
        workdir = in_process_site("zundapod-aggregate-", keep_database=options.postgres)
        from django.db import connection

        started = time.perf_counter()
        build(options.rows)
        print(f"{connection.vendor}: {options.rows:,} raw hits written in {time.perf_counter() - started:.1f} s")
        connection.close()
        first = run_child(workdir, options.postgres)
        print(f"  first run: {first['hits']:,} hits → {first['downloads']:,} downloads in {first['seconds']:.1f} s, "
              f"peak RSS {first['peak_mb']:.0f} MB (Django set up: {first['setup_mb']:.0f} MB)")  # fmt: skip
        from django.utils import timezone

        from episodes.analytics.models import DownloadHit

        DownloadHit.objects.bulk_create(
            DownloadHit(at=timezone.now(), day=timezone.localdate(), episode_id=DownloadHit.objects.first().episode_id,
                        listener=f"new-{n}", address=f"new-{n}", user_agent="Overcast/3.0", range_start=0,
                        range_end=None, source="media")
            for n in range(1000)
        )  # fmt: skip
        connection.close()
        second = run_child(workdir, options.postgres)
        print(f"  after 1,000 new hits: read {second['hits']:,} hits in {second['seconds']:.2f} s, "
              f"peak RSS {second['peak_mb']:.0f} MB")  # fmt: skip
        ok = first["seconds"] < 60 and first["peak_mb"] < 150 and second["hits"] < 5_000
        print("PASS" if ok else "FAIL")
        if not ok:
            raise SystemExit(1)
    finally:
        if database:
            drop_database(*database)


if __name__ == "__main__":
    main()
