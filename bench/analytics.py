"""Download analytics: 100,000 generated requests through the real endpoints, counted two ways.

A throwaway site served as `make run` serves it (uvicorn) gets a generated
access log replayed from many loopback addresses: full downloads, range
streams, iOS `bytes=0-1` probes, repeat listeners, suffix ranges, ranges past
the end, bots and HEADs, over /media/, the old /audio/ paths and /listen/.
Then `aggregate_downloads` counts, and an independent reference here counts
the same log by the rules (bit sets instead of interval merging, the
generator's own bot labels instead of the user-agent list), per-address rules
included (user-agent rotation from one address, the daily cap per address,
which the log exercises with rotating sessions and one heavy address); the
two must be equal, per episode. Last, the audio path's throughput with recording on and
off (best of alternating rounds; on must be at least 0.9 × off).

    .venv/bin/python bench/analytics.py [--requests 100000] [--postgres]
"""

import argparse
import http.client
import os
import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchsite import ROOT, Server, free_port, in_process_site, run_on_own_database

BENCH = Path(__file__).resolve().parent
LOCAL, REMOTE = 10, 2
SIZE = 48_000  # bytes per episode file
BITRATE = 3_200  # bits/s: one minute is 24,000 bytes, half the file
MINUTE = BITRATE * 60 // 8
BIG = 1024 * 1024  # the throughput file
APPS = [
    "Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0",
    "Spotify/8.8.0 Android/33 (SM-G991B)",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "AntennaPod/3.2.0",
    "PocketCasts/1.0 (Pocket Casts - Android)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.31.0",
    "curl/8.5.0",
]


# --- the site -------------------------------------------------------------------


def build_site(workdir: Path) -> dict:
    """Episodes with local audio (also under old /audio/ paths), two on another host, one large file."""
    from django.core.management import call_command
    from django.utils import timezone

    from episodes.catalogue.models import Episode, LegacyPath, Show, Station

    call_command("migrate", verbosity=0)
    station = Station.load()
    station.name = "ベンチ放送局"
    station.owner_email = "bench@example.jp"
    station.save()
    show = Show.objects.create(
        name="ベンチ番組", slug="bench", description="ベンチ", author="ベンチ", owner_email="bench@example.jp"
    )
    media = workdir / "media" / "audio" / "bench"
    media.mkdir(parents=True, exist_ok=True)
    episodes = []
    for n in range(1, LOCAL + REMOTE + 2):
        big = n == LOCAL + REMOTE + 1
        local = n <= LOCAL or big
        name = f"audio/bench/ep{n}.mp3"
        if local:
            (workdir / "media" / name).write_bytes(bytes(i % 251 for i in range(BIG if big else SIZE)))
        episodes.append(
            Episode(
                show=show,
                number=n,
                title=f"第{n}回",
                status=Episode.Status.PUBLISHED,
                published_at=timezone.now() - timezone.timedelta(days=n),
                audio_file=name if local else "",
                audio_url="" if local else f"https://cdn.example.jp/bench/ep{n}.mp3",
                audio_size=BIG if big else SIZE,
                audio_bitrate=BITRATE,
                audio_duration=(BIG if big else SIZE) * 8 / BITRATE,
                audio_mime_type="audio/mpeg",
                guid=f"https://podcast.example.jp/episode/{n}",
            )
        )
    episodes = Episode.objects.bulk_create(episodes)
    LegacyPath.objects.bulk_create(LegacyPath(path=f"/audio/old{e.number}.mp3", episode=e) for e in episodes[:LOCAL])
    return {
        "local": [
            (e.pk, f"/media/audio/bench/ep{e.number}.mp3", f"/audio/old{e.number}.mp3") for e in episodes[:LOCAL]
        ],
        "remote": [e.pk for e in episodes[LOCAL : LOCAL + REMOTE]],
        "big": f"/media/audio/bench/ep{LOCAL + REMOTE + 1}.mp3",
    }


# --- the generated log ----------------------------------------------------------


def generate(site: dict, total: int, seed: int = 17) -> list[dict]:
    """Sessions (a listener and an episode) of each kind until `total` requests, shuffled."""
    rng = random.Random(seed)
    log = []
    listeners = []
    while len(log) < total:
        if listeners and rng.random() < 0.3:
            address, agent, bot = rng.choice(listeners)  # a repeat listener, another episode or the same
        else:
            address = f"127.{rng.randint(1, 200)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
            bot = rng.random() < 0.08
            agent = rng.choice(BOTS if bot else APPS)
            listeners.append((address, agent, bot))
        if rng.random() < 0.15:
            episode = rng.choice(site["remote"])
            paths = [f"/listen/{episode}/ep.mp3"]
        else:
            episode, media, legacy = rng.choice(site["local"])
            paths = [media] * 6 + [legacy, f"/listen/{episode}/ep.mp3"]

        session = {"address": address, "agent": agent, "bot": bot, "episode": episode}

        def add(method="GET", range_header=None, session=session, paths=paths):
            log.append({**session, "method": method, "path": rng.choice(paths), "range": range_header})

        kind = rng.random()
        if rng.random() < 0.01:  # user-agent rotation: one fresh address, 6 to 30 agents, a minute each
            session["address"] = f"127.250.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
            for k in range(rng.randint(6, 30)):
                log.append({**session, "agent": f"Podcasts/{rng.randint(1, 10**6)}.{k} CFNetwork/1408.0.4", "bot": False,
                            "method": "GET", "path": rng.choice(paths), "range": f"bytes=0-{MINUTE - 1}"})  # fmt: skip
            continue
        if kind < 0.25:  # full downloads, sometimes repeated
            for _ in range(rng.choice((1, 1, 2, 3))):
                add()
        elif kind < 0.50:  # a player streaming in 8 KB ranges after a probe, stopping anywhere
            add(range_header="bytes=0-1")
            for k in range(rng.randint(1, 6)):
                add(range_header=f"bytes={k * 8000}-{k * 8000 + 7999}")
        elif kind < 0.62:  # iOS probes alone
            for _ in range(rng.choice((1, 2))):
                add(range_header="bytes=0-1")
        elif kind < 0.70:  # suffix ranges
            add(range_header=f"bytes=-{rng.randint(100, SIZE + 1000)}")
        elif kind < 0.78:  # overlapping random ranges
            for _ in range(rng.randint(1, 4)):
                start = rng.randint(0, SIZE - 1)
                add(range_header=f"bytes={start}-{start + rng.randint(0, 20_000)}")
        elif kind < 0.82:  # open ranges, some past the end
            add(range_header=f"bytes={rng.choice((0, 20_000, 30_000, SIZE, SIZE + 5))}-")
        else:  # HEAD: never a download
            for _ in range(rng.choice((1, 2))):
                add(method="HEAD", range_header=rng.choice((None, "bytes=0-1")))
    # One heavy address: five apps, every episode in full, more than the daily cap per address.
    heavy = "127.251.0.2"
    for agent in APPS[:5]:
        for episode, media, _legacy in site["local"]:
            log.append({"address": heavy, "agent": agent, "bot": False, "episode": episode, "method": "GET",
                        "path": media, "range": None})  # fmt: skip
        for episode in site["remote"]:
            log.append({"address": heavy, "agent": agent, "bot": False, "episode": episode, "method": "GET",
                        "path": f"/listen/{episode}/ep.mp3", "range": None})  # fmt: skip
    rng.shuffle(log)
    return log[:total]


def reference_counts(log: list[dict], *, max_agents: int, max_downloads: int) -> Counter:
    """The rules applied here, without the project's code: downloads per episode.

    Beyond the IAB rules (one download per address + agent + episode with a
    minute of audio, bots never): an address asking for one episode with more
    than `max_agents` agents is one listener (every range of it together,
    counted when one of its first max_agents + 1 agents is no bot); an address
    counts at most `max_downloads` downloads, episodes in id order.
    """
    covered: dict[tuple, int] = defaultdict(int)  # (address, agent, episode) -> bit set of bytes
    agents_in_order: dict[tuple, list] = defaultdict(list)  # (address, episode) -> [(agent, bot)] as first seen
    for request in log:
        if request["method"] != "GET":
            continue
        header = request["range"]
        if header is None:
            first, last = 0, SIZE - 1
        else:
            a, b = header.removeprefix("bytes=").split("-")
            if a == "":
                first, last = max(SIZE - int(b), 0), SIZE - 1
            else:
                first, last = int(a), min(int(b), SIZE - 1) if b else SIZE - 1
            if first >= SIZE:
                continue  # 416 / past the end: nothing was sent, nothing recorded
        key = (request["address"], request["agent"], request["episode"])
        covered[key] |= ((1 << (last - first + 1)) - 1) << first
        seen = agents_in_order[(request["address"], request["episode"])]
        if (request["agent"], request["bot"]) not in seen:
            seen.append((request["agent"], request["bot"]))
    enough = min(MINUTE, SIZE)
    per_address: dict[str, Counter] = defaultdict(Counter)
    for (address, episode), seen in agents_in_order.items():
        if len(seen) > max_agents:
            union = 0
            for agent, _bot in seen:
                union |= covered[(address, agent, episode)]
            if union.bit_count() >= enough and not all(bot for _agent, bot in seen[: max_agents + 1]):
                per_address[address][episode] += 1
        else:
            for agent, bot in seen:
                if not bot and covered[(address, agent, episode)].bit_count() >= enough:
                    per_address[address][episode] += 1
    counts = Counter()
    for downloads in per_address.values():
        left = max_downloads
        for episode in sorted(downloads):
            taken = min(downloads[episode], left)
            counts[episode] += taken
            left -= taken
    return +counts


# --- the server -----------------------------------------------------------------


def request(port, method, path, *, address="127.0.0.1", agent=None, range_header=None) -> tuple[int, int]:
    """(status, body bytes) of one request on its own connection from `address`."""
    headers = {"User-Agent": agent} if agent else {}
    if range_header:
        headers["Range"] = range_header
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


def replay(port: int, log: list[dict], clients: int) -> tuple[Counter, float]:
    statuses = Counter()
    lock = threading.Lock()
    done = [0]

    def send(item):
        try:
            status, _ = request(
                port, item["method"], item["path"], address=item["address"], agent=item["agent"],
                range_header=item["range"],
            )  # fmt: skip
        except OSError as exc:
            status = type(exc).__name__
        with lock:
            statuses[status] += 1
            done[0] += 1
            if done[0] % 10_000 == 0:
                print(f"    {done[0]:,} requests", flush=True)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, log))
    return statuses, time.perf_counter() - start


def throughput(port: int, path: str, *, count: int, clients: int) -> float:
    """MB/s of `count` full GETs of `path`, `clients` at a time, each from its own address."""

    def fetch(i):
        status, size = request(port, "GET", path, address=f"127.9.{i // 250}.{i % 250 + 2}", agent=APPS[i % 5])
        assert status == 200, status
        return size

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(fetch, range(count)))
    return total / 1e6 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds for each of on and off")
    parser.add_argument("--downloads", type=int, default=400, help="1 MB downloads per throughput round")
    parser.add_argument(
        "--postgres", action="store_true", help="a database of its own on DATABASE_URL's server instead of SQLite"
    )
    options = parser.parse_args()

    run_on_own_database(options.postgres, run, options)


def run(options) -> None:
    workdir = in_process_site("zundapod-analytics-", keep_database=options.postgres)
    from django.db import connection

    print(f"analytics benchmark in {workdir} on {connection.vendor} ({os.cpu_count()} cores)", flush=True)
    site = build_site(workdir)
    log = generate(site, options.requests)
    kinds = Counter("HEAD" if r["method"] == "HEAD" else ("bot" if r["bot"] else "GET") for r in log)
    print(f"  generated {len(log):,} requests: {dict(kinds)}", flush=True)
    env = {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        # Under ASGI every request's thread would keep its own connection; a shared PostgreSQL runs out.
        "DB_CONN_MAX_AGE": "0",
    }

    from django.utils import timezone

    from episodes.analytics.models import DailyDownloads, DownloadHit
    from episodes.analytics.rules import aggregate_downloads

    port = free_port()
    server = Server(port, {**env, "ANALYTICS_RECORDING": "1"}, options.workers)
    day = timezone.localdate()
    try:
        print(f"replaying through uvicorn ({options.workers} workers, {options.clients} clients) …", flush=True)
        statuses, seconds = replay(port, log, options.clients)
    finally:
        server.stop()
    print(f"  {len(log):,} requests in {seconds:.1f} s ({len(log) / seconds:,.0f}/s): {dict(statuses)}", flush=True)
    failed = sum(n for status, n in statuses.items() if not isinstance(status, int) or status >= 500)
    if failed:
        print(f"  {failed} requests failed (5xx or connection errors): the counts cannot match", flush=True)
    if timezone.localdate() != day:
        print("  the station's day changed during the replay: run again", flush=True)

    start = time.perf_counter()
    result = aggregate_downloads(prune=False)
    aggregate_seconds = time.perf_counter() - start
    counted = Counter()
    for episode_id, n in DailyDownloads.objects.values_list("episode_id", "downloads"):
        counted[episode_id] += n
    from django.conf import settings

    expected = reference_counts(
        log,
        max_agents=settings.ANALYTICS_MAX_AGENTS_PER_ADDRESS,
        max_downloads=settings.ANALYTICS_MAX_DOWNLOADS_PER_ADDRESS,
    )
    recorded = DownloadHit.objects.count()
    gets = sum(1 for r in log if r["method"] == "GET")
    print(f"  raw hits recorded: {recorded:,} (GETs sent: {gets:,}; ranges past the end record nothing)")
    print(f"  aggregate_downloads: {result.hits:,} hits → {result.downloads:,} downloads in {aggregate_seconds:.2f} s")
    print(f"  downloads counted: {sum(counted.values()):,}; reference: {sum(expected.values()):,}")
    equal = counted == expected
    print(f"  per episode equal: {'yes' if equal else 'NO'}", flush=True)
    if not equal:
        for episode in sorted(set(counted) | set(expected)):
            if counted[episode] != expected[episode]:
                print(f"    episode {episode}: counted {counted[episode]}, reference {expected[episode]}")

    print(f"audio throughput, {options.downloads} × 1 MB per round, recording on and off alternately …", flush=True)
    rates = {"on": [], "off": []}
    for _ in range(options.rounds):
        for mode in ("off", "on"):
            port = free_port()
            server = Server(port, {**env, "ANALYTICS_RECORDING": "1" if mode == "on" else "0"}, options.workers)
            try:
                throughput(port, site["big"], count=20, clients=options.clients)  # warm-up
                rates[mode].append(throughput(port, site["big"], count=options.downloads, clients=options.clients))
            finally:
                server.stop()
            print(f"  recording {mode}: {rates[mode][-1]:.0f} MB/s", flush=True)
    best_on, best_off = max(rates["on"]), max(rates["off"])
    ratio = best_on / best_off
    print(f"  best on {best_on:.0f} MB/s, best off {best_off:.0f} MB/s: {ratio:.2f}×")
    ok = equal and ratio >= 0.9
    print("PASS" if ok else "FAIL", flush=True)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
