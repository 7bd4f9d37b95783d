"""Letters load test: many listeners at once against real gunicorn workers on the embedded SQLite.

Run with `.venv/bin/python bench/letters_load.py` (see --help). It builds a fresh
site in a temporary folder (never your data): settings overlay, migrate,
collectstatic, one show and episode. Then it starts gunicorn with several
workers and lets concurrent clients behave like browsers: fetch the form
(CSRF cookie and token), post letters, follow the redirect to the thanks page.
A second phase double-clicks: the same letter posted twice at the same moment.

Each client has its own address through a header that only this run trusts
(TRUSTED_CLIENT_IP_HEADER, set in the overlay; empty by default), and
the rate limit is raised to fit the run. Staff notifications go to files.

Target: every letter stored exactly once, zero 5xx, zero "database is locked".
Exits non-zero when a target is missed.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from benchsite import free_port, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
IP_HEADER = "X-Bench-Client-IP"
EPISODE_NUMBER = 550
SETTINGS_OVERLAY = """\
# Written by bench/letters_load.py for one run; never used by the site itself.
from zundapod.settings import *  # noqa: F403

TRUSTED_CLIENT_IP_HEADER = {header!r}
LETTERS_RATE_LIMIT = {rate_limit}
LETTERS_RATE_WINDOW = 600
LETTERS_NOTIFY_EMAILS = ["staff@example.jp"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = {mail_dir!r}
"""
SEED = f"""\
from django.utils import timezone
from episodes.catalogue.models import Episode, Show

show = Show.objects.create(
    name="負荷試験の番組", slug="load", description="負荷試験", author="負荷試験", owner_email="owner@example.jp"
)
Episode.objects.create(
    show=show,
    number={EPISODE_NUMBER},
    title="負荷試験の回",
    status=Episode.Status.PUBLISHED,
    published_at=timezone.now() - timezone.timedelta(hours=1),
    audio_url="https://cdn.example.jp/load.mp3",
)
print(show.pk)
"""


@dataclass
class Tally:
    """What the clients saw, collected from every thread."""

    statuses: Counter = field(default_factory=Counter)
    post_ms: list = field(default_factory=list)
    get_ms: list = field(default_factory=list)
    locked: int = 0
    problems: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, ms: float, body: bytes) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            (self.post_ms if kind.startswith("POST") else self.get_ms).append(ms)
            if b"database is locked" in body:
                self.locked += 1
            if status >= 500 and len(self.problems) < 5:
                self.problems.append(f"{kind} {status}: {body[:300]!r}")


class Browser:
    """One listener: own address, own cookie, one connection per request (gunicorn's sync workers close)."""

    def __init__(self, port: int, ip: str, tally: Tally):
        self.port, self.ip, self.tally = port, ip, tally
        self.cookie = ""
        self.token = ""

    def request(self, kind: str, method: str, path: str, body: str | None = None) -> http.client.HTTPResponse:
        headers = {IP_HEADER: self.ip, "User-Agent": "zundapod-letters-bench"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body.encode() if body is not None else None, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        self.tally.record(kind, response.status, (time.perf_counter() - start) * 1000, content)
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("csrftoken="):
                self.cookie = value.split(";", 1)[0]
        response.content = content
        return response

    def open_form(self) -> None:
        """Like a browser opening the episode page's お便り link: cookie plus the form's token."""
        response = self.request("GET form", "GET", f"/letters/?episode={EPISODE_NUMBER}")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
        if response.status != 200 or not match or not self.cookie:
            raise RuntimeError(f"form fetch failed: {response.status}")
        self.token = match.group(1).decode()

    def send(self, letter: dict, *, follow: bool = True, kind: str = "POST letter") -> int:
        body = urlencode({"csrfmiddlewaretoken": self.token, **letter})
        response = self.request(kind, "POST", "/letters/", body)
        location = response.headers.get("Location", "")
        if follow and response.status == 302 and location.startswith("/letters/thanks/"):
            self.request("GET thanks", "GET", location)
        return response.status


def letter_for(show_pk: int, client: int, n: int, *, label: str = "通目") -> dict:
    return {
        "radio_name": f"負荷リスナー{client}",
        "message": f"クライアント{client}の{n}{label}のお便りです。\r\nいつも楽しく聞いています！🍡",
        "show": str(show_pk),
        "episode": str(EPISODE_NUMBER),
        "email": f"listener{client}@example.jp" if n % 3 == 0 else "",
        "consent_to_air": "on" if n % 2 == 0 else "",
        "website": "",
    }


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def prepare_site(workdir: Path, port: int, rate_limit: int) -> tuple[dict, int]:
    """A fresh site in `workdir`: settings overlay, migrated SQLite, static files, one show and episode."""
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    (workdir / "letters_bench_settings.py").write_text(
        SETTINGS_OVERLAY.format(header=IP_HEADER, rate_limit=rate_limit, mail_dir=str(mail_dir))
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "letters_bench_settings",
            "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ZUNDAPOD_VAR_DIR": str(workdir),
            "ZUNDAPOD_ENV_FILE": str(workdir / "none.env"),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "INFO",
        }
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *args], env=env, cwd=workdir, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], env=env, cwd=workdir, check=True, capture_output=True, text=True
    )
    return env, int(seeded.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000, help="letters in the main phase (default 1000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent listeners (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--double-clicks", type=int, default=100, help="letters posted twice at once (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder for inspection")
    options = parser.parse_args()

    clients = options.clients
    per_client = -(-options.letters // clients)
    pairs_per_client = -(-options.double_clicks // clients)
    workdir = Path(tempfile.mkdtemp(prefix="zundapod-letters-bench-"))
    port = free_port()
    env, show_pk = prepare_site(workdir, port, rate_limit=per_client + pairs_per_client + 5)
    server = start_gunicorn(
        env, workdir, port, workers=options.workers, ready=("/letters/", {IP_HEADER: "192.0.2.1"}), cwd=workdir
    )
    tally = Tally()
    expected: list[str] = []
    try:
        browsers = [Browser(port, f"198.51.{100 + c // 250}.{c % 250 + 1}", tally) for c in range(clients)]
        plan = [[] for _ in range(clients)]
        for n in range(options.letters):
            plan[n % clients].append(letter_for(show_pk, n % clients, n // clients))
        expected += [letter["message"].replace("\r\n", "\n") for letters in plan for letter in letters]

        def listener(c: int) -> None:
            browsers[c].open_form()
            for letter in plan[c]:
                browsers[c].send(letter)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(listener, range(clients)))
        main_seconds = time.perf_counter() - started
        main_posts = list(tally.post_ms)

        pairs = [[] for _ in range(clients)]
        for n in range(options.double_clicks):
            pairs[n % clients].append(letter_for(show_pk, n % clients, n // clients, label="回目のダブルクリック"))
        expected += [letter["message"].replace("\r\n", "\n") for letters in pairs for letter in letters]

        def double_clicker(c: int) -> None:
            for letter in pairs[c]:
                gate = threading.Barrier(2)

                def click(letter=letter, gate=gate):
                    gate.wait()
                    browsers[c].send(letter, follow=False, kind="POST double-click")

                twins = [threading.Thread(target=click) for _ in range(2)]
                for twin in twins:
                    twin.start()
                for twin in twins:
                    twin.join()

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(double_clicker, range(clients)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    with sqlite3.connect(workdir / "db.sqlite3") as db:
        stored = Counter(message for (message,) in db.execute("SELECT message FROM episodes_letter"))
        notified = db.execute("SELECT COUNT(*) FROM episodes_letter WHERE notified_at IS NOT NULL").fetchone()[0]
    wanted = Counter(expected)
    missing = sum((wanted - stored).values())
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    unexpected = sum((stored - wanted).values()) - duplicated
    server_log = (workdir / "gunicorn.log").read_text(errors="replace")
    log_locked = server_log.count("database is locked")
    tracebacks = server_log.count("Traceback")
    collapsed = server_log.count("collapsed on its dedupe key")
    errors_5xx = sum(n for (_, status), n in tally.statuses.items() if status >= 500)
    total_stored = sum(stored.values())

    print(f"letters load test: gunicorn × {options.workers} workers, embedded SQLite (WAL) in {workdir}")
    print(f"  {clients} concurrent clients, each its own address via {IP_HEADER} (trusted only in this run)")
    print(
        f"main phase: {options.letters} letters in {main_seconds:.1f} s ({options.letters / main_seconds:.0f} letters/s)"
    )
    print(
        f"  POST /letters/  p50 {percentile(main_posts, 50):6.1f} ms  p95 {percentile(main_posts, 95):6.1f} ms"
        f"  max {max(main_posts):6.1f} ms"
    )
    print(
        f"  GET (form, thanks)  p50 {percentile(tally.get_ms, 50):6.1f} ms  p95 {percentile(tally.get_ms, 95):6.1f} ms"
    )
    print(
        f"double-click phase: {options.double_clicks} letters, each posted twice at the same moment;"
        f" {collapsed} second copies stopped by the unique dedupe_key, the rest by the prior SELECT"
    )
    print("responses by status:")
    for (kind, status), n in sorted(tally.statuses.items()):
        print(f"  {kind:<18} {status}  × {n}")
    print(
        f"stored: {total_stored} letters for {len(expected)} distinct letters sent"
        f" | missing {missing} | stored twice {duplicated} | unexpected {unexpected}"
    )
    print(f"staff notified after commit: {notified} of {total_stored}")
    print(
        f'5xx: {errors_5xx} | "database is locked": {tally.locked} in responses, {log_locked} in the server log'
        f" | tracebacks in the server log: {tracebacks}"
    )
    for problem in tally.problems:
        print("  " + problem)
    ok = (
        missing == duplicated == unexpected == errors_5xx == tally.locked == log_locked == tracebacks == 0
        and total_stored == len(expected)
        and notified == total_stored
    )
    print("RESULT: " + ("PASS: every letter stored exactly once" if ok else "FAIL"))
    if not options.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
