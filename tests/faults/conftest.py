"""The fault suite's stack: the site as `make run` serves it, in a temp folder, with services it owns.

`make test-faults` runs this folder. Each site is `make run` itself (migrate,
collectstatic, demo content, uvicorn with two workers) in a folder of its own,
on a port of its own. Its PostgreSQL is a private cluster (initdb and pg_ctl
from /usr/lib/postgresql/*/bin, run as the postgres user when we are root) and
its Redis a private redis-server, both on free ports, so a test can stop them
without touching anything another checkout uses. Every test here is marked
`faults`, which `make test` leaves out.
"""

import contextlib
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
FAULTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if FAULTS in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Postgres:
    """A private PostgreSQL cluster in a temp folder; stop() and start() are the fault."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
        self.bin = Path(bins[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="zundapod-faults-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        # initdb refuses root: the cluster belongs to the postgres user then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "zundapod")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/zundapod"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A private redis-server with the memory bound docs/deploy.md recommends; kill() is the fault."""

    MAXMEMORY = "64mb"

    def __init__(self, *, maxmemory: str = MAXMEMORY):
        if not shutil.which("redis-server"):
            pytest.skip("no redis-server: apt-get install redis-server")
        self.port = free_port()
        self.maxmemory = maxmemory
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--maxmemory", self.maxmemory, "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL,
        )
        assert _wait_for_port(self.port, 10), "redis-server did not start"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def command(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], check=True, capture_output=True, text=True
        ).stdout


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Site:
    """`make run` in a folder of its own: listeners reach it over HTTP, editors through manage.py."""

    def __init__(self, folder: Path, **env: str):
        self.folder = folder
        self.port = free_port()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CACHE_KEY_PREFIX"}
        }
        self.env.update(
            PORT=str(self.port),
            WEB_CONCURRENCY="2",
            ZUNDAPOD_ENV_FILE=str(folder / "env"),
            ZUNDAPOD_VAR_DIR=str(folder / "var"),
            STATIC_ROOT=str(folder / "static"),
            MEDIA_ROOT=str(folder / "media"),
            DJANGO_SECRET_KEY="faults-suite-only-" + uuid.uuid4().hex,
            DJANGO_SUPERUSER_USERNAME="editor",
            DJANGO_SUPERUSER_PASSWORD="faults-suite-" + uuid.uuid4().hex,
            DJANGO_SUPERUSER_EMAIL="editor@example.jp",
            CACHE_KEY_PREFIX="zundapod-faults-" + uuid.uuid4().hex[:8],
            LOG_LEVEL="WARNING",
            **env,
        )
        (folder / "env").write_text("")
        self.log = folder / "server.log"
        self.process = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run"], cwd=ROOT, env=self.env, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make run stopped:\n{self.log.read_text()[-3000:]}"
            try:
                if self.get("/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the site did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def request(self, method: str, path: str, headers=None, body: bytes | None = None, timeout: float = 30) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, response.headers, data, time.monotonic() - started)
        finally:
            conn.close()

    def get(self, path: str, headers=None, timeout: float = 30) -> Reply:
        return self.request("GET", path, headers, timeout=timeout)

    def manage(self, *args: str) -> str:
        """A management command as an editor's tool runs it, against this site's database and cache."""
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code)

    def letter_form(self) -> tuple[str, str]:
        """(csrf cookie, token) from the letters form, as a listener's browser holds them."""
        reply = self.get("/letters/")
        assert reply.status == 200
        cookie = re.search(r"csrftoken=([^;]+)", reply.headers.get("Set-Cookie", "")).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reply.text).group(1)
        return cookie, token

    def post_letter(self, csrf: tuple[str, str], **fields: str) -> Reply:
        cookie, token = csrf
        body = urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": f"http://127.0.0.1:{self.port}",
            "Referer": f"http://127.0.0.1:{self.port}/letters/",
        }
        return self.request("POST", "/letters/", headers, body)


@pytest.fixture(scope="module")
def postgres():
    cluster = Postgres()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def redis():
    server = Redis()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture(scope="module")
def scaleout_site(postgres, redis, tmp_path_factory):
    """`make run` on a private PostgreSQL and Redis."""
    site = Site(tmp_path_factory.mktemp("scaleout"), DATABASE_URL=postgres.url, REDIS_URL=redis.url)
    site.start()
    yield site
    site.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
