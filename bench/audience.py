"""Audience benchmark: slow listeners, a full-archive feed and a spike of visitors, against `make run`'s server.

Run with `make bench-audience` (or `.venv/bin/python bench/audience.py --help`).
It builds a throwaway site in a temporary folder (550 episodes of its own
text, a 20 MB MP3 on local media), starts the server as `make run` does
(every core), and measures on loopback:

  (a) 200 clients downloading the MP3 at 64 KB/s each and 50 connections
      holding half-sent requests (25 heads, 25 bodies), while it times the
      home page and episode pages (p50/p95, errors);
  (b) `/feed.xml` with gzip: cold (8 requests at once right after an edit)
      and warm throughput, against a bare app serving the same gzip bytes
      under the same server;
  (c) the home and an episode page, cached and uncached (a session cookie
      bypasses the page cache), against the bare rate;
  (d) the server processes' memory after 100 edits, each followed by fetches
      of every feed and two pages;
  (e) a hit's cost: the cached home and episode pages and the warm feed (plain and
      gzip) against a bare app sending the same response (its body and every header),
      both servers up at once and
      measured in turn, A/B/A/B (`--rounds` pairs), so load from elsewhere hits both.

Every phase has a deadline; the run prints one table. `--server` measures
another server command (a template with {port}, {workers}, {asgi}, {wsgi}).
"""

import argparse
import asyncio
import gzip
import http.client
import itertools
import json
import multiprocessing
import os
import random
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

from benchsite import (
    MAKE_RUN,
    ROOT,
    Server,
    cast_and_articles,
    drop_database,
    free_port,
    in_process_site,
    own_postgres_database,
)

BENCH = Path(__file__).resolve().parent
# The same for f7db5dd's `make run`, to measure the code before this bench.
LEGACY_RUN = "{bin}/gunicorn {wsgi} --bind 127.0.0.1:{port} --workers 1 --threads 4 --no-control-socket --timeout 300"
EPISODES = 550
SHOWS = 4
MP3_BYTES = 20 * 1024 * 1024
MEDIA_PATH = "audio/bench-20mb.mp3"


# --- the site -------------------------------------------------------------------


def build_site(workdir: Path) -> None:
    """Station, shows, 550 published episodes with full show notes, one 20 MB MP3."""
    from django.core.management import call_command
    from django.utils import timezone

    from episodes.catalogue.models import Actor, Episode, Show, Station

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    station = Station.load()
    station.name = "ベンチ放送局"
    station.owner_email = "bench@example.jp"
    station.save()
    actor = Actor.objects.create(name="ベンチの声", slug="voice", credit="ベンチの声（合成音声）")
    shows = []
    for n in range(SHOWS):
        show = Show.objects.create(
            name=f"ベンチ番組 {n}", slug=f"show{n}", description="ベンチマーク用の番組", author="ベンチ",
            owner_email="bench@example.jp",
        )  # fmt: skip
        show.hosts.set([actor])
        shows.append(show)
    now = timezone.now()
    words = prose(random.Random(EPISODES))
    episodes = Episode.objects.bulk_create(
        Episode(
            show=shows[n % SHOWS],
            number=n,
            title=f"第{n}回 ベンチの放送",
            status=Episode.Status.PUBLISHED,
            published_at=now - timedelta(days=EPISODES - n, minutes=1),
            description=words(70),
            notes="ベンチ",
            notes_html="".join(f"<p>{words(130)}</p>" for _ in range(3)),
            audio_file=MEDIA_PATH if n == EPISODES else "",
            audio_url="" if n == EPISODES else f"https://cdn.example.jp/audio/bench_{n}.mp3",
            audio_size=MP3_BYTES,
            audio_duration=1800.0,
            audio_mime_type="audio/mpeg",
            guid=f"https://podcast.example.jp/episode/{n}",
        )
        for n in range(1, EPISODES + 1)
    )
    cast_and_articles(episodes, actor, summary="要約", summary_html=lambda: f"<p>{words(65)}</p>")
    mp3 = workdir / "media" / MEDIA_PATH
    mp3.parent.mkdir(parents=True, exist_ok=True)
    # A real MPEG frame header repeated: the bytes only have to be served.
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    mp3.write_bytes((frame * (MP3_BYTES // len(frame) + 1))[:MP3_BYTES])


def prose(rng: random.Random):
    """Text of our own that compresses like real show notes (a few times, not a hundred)."""
    vocabulary = [
        "今日",
        "ニュース",
        "新しい",
        "モデル",
        "発表",
        "研究",
        "開発者",
        "公開",
        "データ",
        "速度",
        "改善",
        "性能",
        "比較",
        "記事",
        "紹介",
        "AI",
        "音声",
        "合成",
        "ずんだもん",
        "解説",
        "番組",
        "リスナー",
        "質問",
        "回答",
        "ライブラリ",
        "更新",
        "セキュリティ",
        "脆弱性",
        "修正",
        "クラウド",
        "サーバー",
        "ブラウザ",
        "対応",
        "GPU",
        "推論",
        "学習",
        "論文",
        "評価",
        "ベンチマーク",
        "結果",
        "注目",
        "話題",
        "一方",
        "さらに",
        "つまり",
        "ただし",
        "Python",
        "Rust",
        "Linux",
        "API",
        "OSS",
        "release",
        "version",
        "2026年",
        "11月",
        "大規模",
        "小型",
        "高速",
        "無料",
        "有料",
        "企業",
        "発表会",
    ]

    def words(count: int) -> str:
        text = []
        for n in range(count):
            text.append(rng.choice(vocabulary))
            text.append(rng.choice(("の", "を", "が", "で", "、", "は", "と")) if n % 7 else "。")
        return "".join(text)

    return words


def edit(n: int) -> None:
    """One editor's save: a title changes (the revision moves)."""
    from episodes.catalogue.models import Episode

    Episode.objects.filter(number=EPISODES - (n % 10)).update(title=f"第{n}回 直したタイトル")


def get(port: int, path: str, headers: dict | None = None, timeout: float = 15) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- load -----------------------------------------------------------------------


async def _read_response(reader) -> tuple[int, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        total = 0
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            total += size
            if size == 0:
                return status, total
    await reader.readexactly(length)
    return status, length


async def _hammer(port: int, path: str, headers: str, seconds: float, connections: int) -> tuple[int, int]:
    done = errors = 0
    end = time.monotonic() + seconds
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()

    async def one():
        nonlocal done, errors
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
                while time.monotonic() < end:
                    writer.write(request)
                    status, _ = await _read_response(reader)
                    if status in (200, 304):
                        done += 1
                    else:
                        errors += 1
                writer.close()
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1

    await asyncio.gather(*(one() for _ in range(connections)))
    return done, errors


def _hammer_process(args, queue) -> None:
    queue.put(asyncio.run(_hammer(*args)))


def throughput(port: int, path: str, headers: dict | None = None, seconds: float = 5, connections: int = 16) -> float:
    """Requests per second from two client processes on keep-alive connections."""
    header_text = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(
            target=_hammer_process, args=((port, path, header_text, seconds, connections // 2), queue)
        )
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    return sum(done for done, _ in results) / seconds


# --- (e) a hit against the bare app, A/B/A/B ----------------------------------------------


def ab_rounds(options, port: int, env: dict, template: str, workdir: Path, report) -> None:
    """Each ready response against the bare app serving its bytes, both up, measured alternately."""
    measures = [
        ("/", {"Accept-Encoding": "gzip"}, 16),
        (f"/episode/{EPISODES}", {"Accept-Encoding": "gzip"}, 16),
        ("/feed.xml", {}, 8),
        ("/feed.xml", {"Accept-Encoding": "gzip"}, 8),
    ]
    for path, headers, connections in measures:
        _, got, body = get(port, path, headers, timeout=120)
        get(port, path, headers, timeout=120)  # learned by the fast path
        zipped = {k.lower(): v for k, v in got.items()}.get("content-encoding") == "gzip"
        body_file = workdir / f"bare-ab-{len(body)}.bin"
        body_file.write_bytes(body)
        # The same response: its body and every header but the two the server adds itself.
        headers_file = workdir / f"bare-ab-{len(body)}.json"
        headers_file.write_text(json.dumps([[k, v] for k, v in got.items() if k.lower() not in ("date", "server")]))
        bare_env = {**env, "BARE_BODY": str(body_file), "BARE_HEADERS": str(headers_file)}
        bare_port = free_port()
        bare = Server(
            bare_port, bare_env, options.workers, template=template, ready="/", log_name="server-bare-ab",
            apps={"asgi": "bare_app:asgi", "wsgi": "bare_app:wsgi"},
        )  # fmt: skip
        ours, theirs = [], []
        try:
            for _ in range(options.rounds):
                ours.append(throughput(port, path, headers, options.seconds, connections))
                theirs.append(throughput(bare_port, "/", headers, options.seconds, connections))
        finally:
            bare.stop()
        ratio = sum(ours) / sum(theirs)
        label = f"(e) {path}{' gzip' if zipped else ''} vs bare, req/s A/B ×{options.rounds}"
        pairs = " ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(ours, theirs, strict=True))
        report((label, f"{pairs} → {ratio:.2f}×"))


# --- (a) slow listeners ---------------------------------------------------------------


async def _slow_download(port: int, rate: int, size: int, deadline: float) -> tuple[str, float]:
    start = time.monotonic()
    sock = socket.socket()
    # A phone's small window: the server cannot push the file into kernel buffers and forget it.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        last = size - 1
        writer.write(
            f"GET /media/{MEDIA_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-{last}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), deadline - time.monotonic())
        if b" 206 " not in head.split(b"\r\n")[0] and b" 200 " not in head.split(b"\r\n")[0]:
            return "error", time.monotonic() - start
        got = 0
        body_started = time.monotonic()  # the rate counts from the first byte, not from the wait for it
        while got < size:
            if time.monotonic() > deadline:
                return "incomplete", time.monotonic() - start
            chunk = await asyncio.wait_for(reader.read(16 * 1024), max(deadline - time.monotonic(), 0.1))
            if not chunk:
                return "incomplete", time.monotonic() - start
            got += len(chunk)
            ahead = got / rate - (time.monotonic() - body_started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        writer.close()
        return "complete", time.monotonic() - start, body_started - start
    except TimeoutError:
        return "incomplete", time.monotonic() - start
    except (OSError, asyncio.IncompleteReadError):
        return "error", time.monotonic() - start
    finally:
        sock.close()


async def _half_sent(port: int, body: bool, until: float) -> str:
    """A request that never finishes: a byte every two seconds (slowloris), until the phase ends."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if body:
            writer.write(
                b"POST /letters/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\n" + b"a" * 50000
            )
        else:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        while time.monotonic() < until:
            await asyncio.sleep(2)
            writer.write(b"a" if body else b"w")
            await writer.drain()
        writer.close()
        return "held"
    except OSError:
        return "closed by server"


async def _listeners(port: int, clients: int, rate: int, size: int, half: int, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    downloads = [_slow_download(port, rate, size, deadline) for _ in range(clients)]
    holders = [_half_sent(port, n % 2 == 1, deadline) for n in range(half)]
    results = await asyncio.gather(*downloads, *holders)
    outcome = {}
    for result in results[:clients]:
        outcome[result[0]] = outcome.get(result[0], 0) + 1
    times = sorted(result[1] for result in results[:clients] if result[0] == "complete")
    outcome["slowest s"] = round(times[-1], 1) if times else None
    waits = [result[2] for result in results[:clients] if len(result) > 2]
    outcome["longest wait for the first byte s"] = round(max(waits), 1) if waits else None
    for result in results[clients:]:
        outcome[f"half-sent {result}"] = outcome.get(f"half-sent {result}", 0) + 1
    return outcome


def _listeners_process(args, queue) -> None:
    queue.put(asyncio.run(_listeners(*args)))


def slow_listeners(port: int, *, clients: int, rate: int, size: int, half: int) -> dict:
    """(a): page latency while slow downloads and half-sent requests hold connections."""
    seconds = size / rate * 1.3 + 30
    queue = multiprocessing.Queue()
    crowd = multiprocessing.Process(target=_listeners_process, args=((port, clients, rate, size, half, seconds), queue))
    crowd.start()
    time.sleep(3)  # let them connect
    timings = {"/": [], "episode": []}
    errors = {"/": 0, "episode": 0}
    end = time.monotonic() + seconds - 10
    numbers = list(range(1, EPISODES + 1))
    random.shuffle(numbers)
    numbers = itertools.cycle(numbers)  # each episode page once uncached, then from the page cache
    while time.monotonic() < end and crowd.is_alive():
        for kind, path in (("/", "/"), ("episode", f"/episode/{next(numbers)}")):
            start = time.perf_counter()
            try:
                status, _, _ = get(port, path, timeout=15)
                ok = status == 200
            except OSError:
                ok = False
            if ok:
                timings[kind].append((time.perf_counter() - start) * 1000)
            else:
                errors[kind] += 1
        time.sleep(0.2)
    outcome = queue.get(timeout=seconds + 60)
    crowd.join()
    for kind in timings:
        outcome[kind] = (percentile(timings[kind], 50), percentile(timings[kind], 95), len(timings[kind]), errors[kind])
    return outcome


def percentile(values: list[float], p: int) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p / 100))], 1)


# --- the run ----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=MAKE_RUN, help="server command template (default: as make run)")
    parser.add_argument("--legacy", action="store_true", help="f7db5dd's make run (one gunicorn, 4 threads)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="{workers} (default: every core)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--half-sent", type=int, default=50)
    parser.add_argument("--rate", type=int, default=64 * 1024, help="bytes/s per download")
    parser.add_argument("--download-mb", type=float, default=20, help="bytes each client fetches (Range)")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5, help="each throughput measurement")
    parser.add_argument("--phases", default="abcd", help="e: cached pages and warm feeds against the bare app, A/B/A/B")
    parser.add_argument("--rounds", type=int, default=3, help="A/B pairs per measure in phase e")
    parser.add_argument(
        "--postgres-redis",
        action="store_true",
        help="PostgreSQL (a database of its own on DATABASE_URL's server) and Redis (REDIS_URL, a key prefix of its own)",
    )
    options = parser.parse_args()
    template = LEGACY_RUN if options.legacy else options.server

    services = {}
    if options.postgres_redis:
        database = own_postgres_database("zundapod_bench_audience")
        services = {"REDIS_URL": os.environ["REDIS_URL"], "CACHE_KEY_PREFIX": f"zundapod-bench-audience-{os.getpid()}"}
    try:
        run(options, template, services)
    finally:
        if options.postgres_redis:
            drop_database(*database)
            drop_redis_keys(services["REDIS_URL"], services["CACHE_KEY_PREFIX"])


def drop_redis_keys(url: str, prefix: str) -> None:
    """Only this run's keys: the Redis may be shared."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)


def run(options, template: str, services: dict) -> None:
    # https links as in production; loopback has no TLS, so no redirect to it.
    workdir = in_process_site(
        "zundapod-audience-",
        keep_database=bool(services),
        SITE_URL="https://podcast.example.jp",
        DJANGO_SECURE_SSL_REDIRECT="0",
        **services,
    )
    from django.conf import settings
    from django.db import connection

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"audience benchmark in {workdir} ({os.cpu_count()} cores, {connection.vendor}, {cache})", flush=True)
    build_site(workdir)
    env = {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        "WEB_CONCURRENCY": str(options.workers),
    }
    rows = []

    def report(row: tuple[str, str]) -> None:
        rows.append(row)
        print(f"  {row[0]}: {row[1]}", flush=True)

    bare_bodies = {}
    port = free_port()
    server = Server(port, env, options.workers, template=template, log_name="server-site")
    try:
        status, _, feed = get(port, "/feed.xml", {"Accept-Encoding": "gzip"}, timeout=120)
        plain = gzip.decompress(feed) if feed[:2] == b"\x1f\x8b" else feed
        report(("feed size", f"{len(plain) / 1e6:.1f} MB, {len(gzip.compress(plain)) / 1e6:.2f} MB gzip"))
        if "a" in options.phases:
            size = int(options.download_mb * 1024 * 1024)
            print(
                f"(a) {options.clients} downloads of {size / 1e6:.0f} MB at {options.rate // 1024} KB/s …", flush=True
            )
            a = slow_listeners(port, clients=options.clients, rate=options.rate, size=size, half=options.half_sent)
            for kind in ("/", "episode"):
                p50, p95, count, errors = a.pop(kind)
                report((f"(a) {kind} page p50 / p95 ms", f"{p50} / {p95} ({count} ok, {errors} errors)"))
            report(("(a) downloads and half-sent", ", ".join(f"{k}: {v}" for k, v in a.items())))
        bare_bodies["gzip feed"] = (gzip.compress(plain), True)
        if "b" in options.phases:
            print("(b) feed …", flush=True)
            edit(0)
            times = []

            def cold():
                start = time.perf_counter()
                get(port, "/feed.xml", {"Accept-Encoding": "gzip"}, timeout=120)
                times.append(time.perf_counter() - start)

            start = time.perf_counter()
            threads = [threading.Thread(target=cold) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
            report(
                (
                    "(b) cold feed, 8 at once after an edit",
                    f"wall {wall * 1000:.0f} ms, first {min(times) * 1000:.0f} ms",
                )
            )
            warm = throughput(port, "/feed.xml", {"Accept-Encoding": "gzip"}, options.seconds, 8)
            report(("(b) warm feed gzip req/s", f"{warm:.0f}"))
        if "c" in options.phases:
            print("(c) pages …", flush=True)
            for path in ("/", f"/episode/{EPISODES}"):
                _, headers, body = get(port, path, {"Accept-Encoding": "gzip"})
                if path == "/":
                    bare_bodies["home page"] = (
                        body,
                        {k.lower(): v for k, v in headers.items()}.get("content-encoding") == "gzip",
                    )
                cached = throughput(port, path, {"Accept-Encoding": "gzip"}, options.seconds)
                uncached = throughput(
                    port, path, {"Accept-Encoding": "gzip", "Cookie": "sessionid=bench"}, options.seconds
                )
                report((f"(c) {path} cached / uncached req/s", f"{cached:.0f} / {uncached:.0f}"))
        if "d" in options.phases:
            print(f"(d) {options.edits} edits …", flush=True)
            paths = ["/feed.xml", *(f"/shows/show{n}/feed.xml" for n in range(SHOWS)), "/", f"/episode/{EPISODES}"]
            for path in paths:
                get(port, path, {"Accept-Encoding": "gzip"}, timeout=120)
            before = server.processes()
            start = time.monotonic()
            largest = []  # the largest process after every tenth edit: growth that goes on, or a plateau
            for n in range(1, options.edits + 1):
                edit(n)
                for path in paths:
                    get(port, path, {"Accept-Encoding": "gzip"}, timeout=120)
                if n % 10 == 0:
                    largest.append(max(server.processes().values()) / 1024)
            after = server.processes()
            grown = [(after.get(pid, 0) - rss) / 1024 for pid, rss in before.items()]
            report(
                (
                    f"(d) RSS per process before → after {options.edits} edits",
                    ", ".join(f"{before[pid] / 1024:.0f}→{after.get(pid, 0) / 1024:.0f}" for pid in before)
                    + f" MB (max growth {max(grown):.0f} MB, {time.monotonic() - start:.0f} s)",
                )
            )
            report(("(d) largest process every 10 edits", " ".join(f"{mb:.0f}" for mb in largest) + " MB"))
        if "e" in options.phases:
            ab_rounds(options, port, env, template, workdir, report)
    finally:
        server.stop()

    for name, (body, zipped) in bare_bodies.items():
        if name == "gzip feed" and "b" not in options.phases or name == "home page" and "c" not in options.phases:
            continue
        print(f"bare app, {name} …", flush=True)
        body_file = workdir / f"bare-{name.replace(' ', '-')}.bin"
        body_file.write_bytes(body)
        bare_env = {**env, "BARE_BODY": str(body_file), "BARE_GZIP": "1" if zipped else "0"}
        bare_port = free_port()
        bare = Server(
            bare_port, bare_env, options.workers, template=template, ready="/", log_name="server-bare",
            apps={"asgi": "bare_app:asgi", "wsgi": "bare_app:wsgi"},
        )  # fmt: skip
        try:
            connections = 8 if name == "gzip feed" else 16
            rate = throughput(bare_port, "/", {"Accept-Encoding": "gzip"}, options.seconds, connections)
        finally:
            bare.stop()
        report((f"bare app, same {name} bytes req/s", f"{rate:.0f}"))

    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-+-{'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")


if __name__ == "__main__":
    main()
