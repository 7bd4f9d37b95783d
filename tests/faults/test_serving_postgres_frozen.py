"""PostgreSQL frozen (SIGSTOP), not stopped: connections stay open and nothing answers (issue 24, faults2 item 4).

A stopped server refuses connections at once; a frozen one accepts and never
replies, so no error comes to trip the circuit. The fast path gives a lookup
DEADLINE_SECONDS (episodes/serving/ready_asgi.py), then serves what it holds and opens
the circuit; while it is open a GET that needs the database gets the 503 page
after the same deadline. SIGCONT, and the site is whole again.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

from .conftest import percentile
from .helpers import public_pages, quoted


def cluster_processes(postgres) -> list[int]:
    """The postmaster of the test's own cluster and its children: nothing another checkout runs."""
    postmaster = int((Path(postgres.data) / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a backend that ended meanwhile
            os.kill(pid, signum)


def timed_get(site, path: str):
    started = time.monotonic()
    try:
        return site.get(path, timeout=10)
    except TimeoutError as exc:
        raise AssertionError(f"{path}: no answer in {time.monotonic() - started:.1f} s") from exc


def test_a_frozen_database_hangs_no_listener(scaleout_site, postgres):
    site = scaleout_site
    pages = [quoted(path) for path in public_pages(site)]
    # Both uvicorn workers learn every route (a process that never served a page asks Django, which
    # waits on the frozen server: the limit this test leaves, said in the README).
    for _ in range(8):
        for path in pages:
            assert site.get(path).status == 200, path
    uncached = [quoted("/search/?q=ずんだもん"), "/archive/2020/1/"]
    frozen = cluster_processes(postgres)
    signal_all(frozen, signal.SIGSTOP)
    try:
        cached = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            cached += [timed_get(site, path) for path in pages]
        refused = [timed_get(site, path) for path in uncached for _ in range(3)]
        print(
            f"\npostgres frozen: {len(cached)} cached requests, statuses {sorted({r.status for r in cached})}, "
            f"p95 {percentile([r.seconds for r in cached], 0.95) * 1000:.0f} ms, "
            f"max {max(r.seconds for r in cached):.2f} s; uncached {sorted({r.status for r in refused})} "
            f"in at most {max(r.seconds for r in refused):.2f} s"
        )
        assert {r.status for r in cached} == {200}
        assert max(r.seconds for r in cached) < 2
        assert {r.status for r in refused} == {503}
        assert all(r.headers["Retry-After"] for r in refused)
        assert max(r.seconds for r in refused) < 2
    finally:
        signal_all(frozen, signal.SIGCONT)
    thawed = time.monotonic()
    while site.get(uncached[0], timeout=10).status != 200:
        assert time.monotonic() - thawed < 30, "not back 30 s after SIGCONT"
        time.sleep(0.1)
    print(f"recovered {time.monotonic() - thawed:.2f} s after SIGCONT")
    assert time.monotonic() - thawed < 10
