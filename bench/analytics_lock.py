"""Audio under a locked raw-hits table: no audio byte waits on analytics (issue 24, finding 7).

A throwaway site served as `make run` serves it (uvicorn, 2 workers) gets 40
audio requests, 8 at a time, while another connection holds the raw-hits
table locked (SQLite: `BEGIN EXCLUSIVE` on the database file; PostgreSQL:
`LOCK TABLE … ACCESS EXCLUSIVE`), then /search/ and /letters/. Prints the
statuses and the slowest time to the first byte and to the last.
`ANALYTICS_RECORD_WAIT_MS=20000` shows the old behaviour (the busy timeout).

    .venv/bin/python bench/analytics_lock.py [--postgres] [--wait-ms 200]
"""

import argparse
import http.client
import os
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from benchsite import ROOT, Server, free_port, in_process_site, run_on_own_database

SIZE = 1024 * 1024


def build_site(workdir) -> str:
    from django.core.management import call_command
    from django.utils import timezone

    from episodes.catalogue.models import Episode, Show, Station

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    station = Station.load()
    station.name, station.owner_email = "ベンチ放送局", "bench@example.jp"
    station.save()
    show = Show.objects.create(name="ベンチ番組", slug="bench", description="ベンチ", author="ベンチ")
    (workdir / "media" / "audio" / "bench").mkdir(parents=True, exist_ok=True)
    (workdir / "media" / "audio" / "bench" / "ep1.mp3").write_bytes(bytes(i % 251 for i in range(SIZE)))
    Episode.objects.create(
        show=show, number=1, title="第1回", status=Episode.Status.PUBLISHED,
        published_at=timezone.now() - timezone.timedelta(days=1), audio_file="audio/bench/ep1.mp3",
        audio_size=SIZE, audio_bitrate=64_000, audio_duration=SIZE * 8 / 64_000, audio_mime_type="audio/mpeg",
    )  # fmt: skip
    return "/media/audio/bench/ep1.mp3"


def timed_get(port: int, path: str, n: int) -> tuple[int, float, float]:
    """(status, seconds to the first body byte, seconds to the last)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"User-Agent": f"Podcasts/{1650 + n}.20 CFNetwork/1408.0.4 Darwin/22.5.0"})
        response = conn.getresponse()
        response.read(1)
        first = time.perf_counter() - start
        response.read()
        return response.status, first, time.perf_counter() - start
    finally:
        conn.close()


class Lock:
    """Another connection holding the raw-hits table (SQLite: the whole database's write lock)."""

    def __init__(self, postgres: bool, workdir):
        if postgres:
            import psycopg

            self.conn = psycopg.connect(os.environ["DATABASE_URL"])
            self.conn.execute("LOCK TABLE episodes_downloadhit IN ACCESS EXCLUSIVE MODE")
        else:
            self.conn = sqlite3.connect(workdir / "db.sqlite3", isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a database of its own on DATABASE_URL's server")
    parser.add_argument("--wait-ms", type=int, default=200, help="ANALYTICS_RECORD_WAIT_MS for the server")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--hold", type=float, default=14, help="seconds the table stays locked (the audit's 14)")
    options = parser.parse_args()
    run_on_own_database(options.postgres, run, options)


def run(options) -> None:
    workdir = in_process_site("zundapod-analytics-lock-", keep_database=options.postgres)
    from django.db import connection

    path = build_site(workdir)
    vendor = connection.vendor
    connection.close()
    env = {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
        "DB_CONN_MAX_AGE": "0",
        "ANALYTICS_RECORD_WAIT_MS": str(options.wait_ms),
    }
    port = free_port()
    server = Server(port, env, 2)
    try:
        timed_get(port, path, 0)  # warm both the server and the salt
        lock = Lock(options.postgres, workdir)
        release = threading.Timer(options.hold, lock.release)
        release.start()
        held = time.perf_counter()
        try:
            gap = options.hold * 0.9 / options.requests  # spread over the lock, as listeners arrive

            def paced(n):
                time.sleep(max(0.0, held + n * gap - time.perf_counter()))
                return timed_get(port, path, n)

            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(paced, range(1, options.requests + 1)))
            others = [timed_get(port, other, 0) for other in ("/search/?q=x", "/letters/")]
            busy = time.perf_counter() - held
        finally:
            release.join()
    finally:
        server.stop()
    statuses = Counter(status for status, _, _ in results)
    print(f"{vendor}, record wait {options.wait_ms} ms, raw-hits table locked for {options.hold:.0f} s:")
    print(f"  {len(results)} audio requests over {busy:.1f} s, up to 8 at a time: {dict(statuses)}")
    print(
        f"  slowest first byte {max(r[1] for r in results):.3f} s, slowest last byte {max(r[2] for r in results):.3f} s"
    )
    print(f"  /search/ and /letters/ meanwhile: {[status for status, _, _ in others]}")
    ok = statuses == Counter({200: len(results)}) and max(r[1] for r in results) <= 1.0
    print("PASS" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
