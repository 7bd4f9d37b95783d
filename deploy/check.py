"""`make test-deploy`: follow docs/deploy.md with the files in deploy/, on this machine, and time each step.

nginx (installed with apt-get when missing), the PostgreSQL recipe (deploy/postgresql.sql)
under a unique role and database, the env file (deploy/zundapod.env) with local values,
`manage.py upgrade`, the demo archive, web and worker started from the units' ExecStart
lines, requests through nginx (pages, feed, a raw UTF-8 /audio/ path, Range through
X-Accel-Redirect, /healthz as a load balancer asks), a graceful reload under requests
(0 errors), a job run by the worker, `manage.py backup`, the restore runbook into a new
database and media folder, and the restored site serving the same bytes. Everything it
creates is removed at the end. Needs root (nginx), PostgreSQL on 127.0.0.1:5432 and Redis.
"""

import concurrent.futures
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PG = {"host": "127.0.0.1", "port": "5432", "superuser": os.environ.get("PG_SUPERUSER", "postgres")}
TIMINGS: list[tuple[str, float]] = []


def step(name):
    def wrap(func):
        def run(*args, **kwargs):
            started = time.monotonic()
            print(f"== {name}", flush=True)
            result = func(*args, **kwargs)
            TIMINGS.append((name, time.monotonic() - started))
            return result

        return run

    return wrap


def sh(*command, env=None, check=True, **kwargs):
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if check and result.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw_status(port, raw_path: bytes) -> int:
    """The status for a request line with bytes exactly as a careless app sends them (raw UTF-8)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"GET " + raw_path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return int(sock.recv(64).split()[1])


def unit_command(unit: str, app: Path, env: dict, port: int) -> list[str]:
    """The unit's ExecStart, with the checkout for /srv/zundapod/app and the env file's values."""
    line = next(line for line in (DEPLOY / unit).read_text().splitlines() if line.startswith("ExecStart="))
    line = (
        line.removeprefix("ExecStart=").replace("/srv/zundapod/app", str(app)).replace("--port 8000", f"--port {port}")
    )
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
    return line.split()


def read_env(path: Path) -> dict:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


class Deploy:
    def __init__(self, work: Path):
        self.work = work
        self.id = secrets.token_hex(4)
        self.role = f"zundapod_deploy_{self.id}"
        self.password = secrets.token_urlsafe(16)
        self.databases: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.nginx_conf: Path | None = None
        self.web_port, self.nginx_port = free_port(), free_port()

    # --- set-up ---------------------------------------------------------------

    @step("nginx (apt-get install when missing)")
    def nginx_installed(self):
        if not shutil.which("nginx"):
            sh("apt-get", "update", "-qq")
            sh("apt-get", "install", "-y", "-qq", "nginx", env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})

    def create_database(self, name: str):
        sh(
            "psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["superuser"], "-v", "ON_ERROR_STOP=1",
            "-v", f"role={self.role}", "-v", f"db={name}", "-v", f"password={self.password}",
            "-f", str(DEPLOY / "postgresql.sql"),
        )  # fmt: skip
        self.databases.append(name)

    def database_url(self, name: str) -> str:
        return f"postgres://{self.role}:{self.password}@{PG['host']}:{PG['port']}/{name}"

    @step("PostgreSQL role and database (deploy/postgresql.sql)")
    def database(self):
        self.create_database(self.role)

    def environment(self, database: str, var: Path) -> dict:
        """deploy/zundapod.env with this machine's values, written out as the operator's /etc/zundapod/zundapod.env.

        Returns the environment a unit's process gets from it (EnvironmentFile=).
        """
        values = read_env(DEPLOY / "zundapod.env")
        values.update(
            DJANGO_SECRET_KEY=f"deploy-check-{self.id}-" + "x" * 40,
            SITE_URL=f"http://127.0.0.1:{self.nginx_port}",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.database_url(database),
            REDIS_URL=os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15"),
            CACHE_KEY_PREFIX=f"zundapod-deploy-{self.id}-{database}",
            ZUNDAPOD_VAR_DIR=str(var),
            BACKUP_DIR=str(self.work / "backups"),
            ZUNDAPOD_DEMO="1",  # the rehearsal fills the site with the demo archive, so it keeps the demo app
        )
        env_file = self.work / f"{database}.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        return {**self.outside(values), **values, "ZUNDAPOD_ENV_FILE": str(env_file)}

    @staticmethod
    def outside(values: dict) -> dict:
        """This shell's environment without anything the env file sets (or a developer's DJANGO_*)."""
        return {k: v for k, v in os.environ.items() if k not in values and not k.startswith(("DJANGO", "DATABASE"))}

    def manage(self, env, *args):
        """`manage.py` as the docs run it: only ZUNDAPOD_ENV_FILE points at the settings."""
        plain = {**self.outside(env), "ZUNDAPOD_ENV_FILE": env["ZUNDAPOD_ENV_FILE"]}
        return sh(str(ROOT / ".venv/bin/python"), "manage.py", *args, env=plain)

    @step("manage.py upgrade (migrate, collectstatic, rerender, artwork) and the demo archive")
    def upgrade(self):
        self.var = self.work / "var"
        self.env = self.environment(self.role, self.var)
        print("  " + self.manage(self.env, "upgrade").stdout.strip().splitlines()[-1])
        self.manage(self.env, "load_demo")

    def start(self, unit: str, env: dict, port: int, log: str) -> subprocess.Popen:
        command = unit_command(unit, ROOT, env, port)
        with open(self.work / log, "w") as output:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def wait_for(self, port: int, path="/healthz"):
        for _ in range(120):
            try:
                if get(port, path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"nothing answered 200 on {port}{path}")

    @step("web and worker from the units' ExecStart")
    def services(self):
        self.web = self.start("zundapod-web.service", self.env, self.web_port, "web.log")
        self.worker = self.start("zundapod-worker.service", self.env, 0, "worker.log")
        self.wait_for(self.web_port)

    @step("nginx with deploy/nginx-zundapod.conf")
    def nginx(self):
        site = (DEPLOY / "nginx-zundapod.conf").read_text()
        site = site.replace("127.0.0.1:8000", f"127.0.0.1:{self.web_port}").replace(
            "listen 80;", f"listen 127.0.0.1:{self.nginx_port};"
        )
        site = site.replace("server_name podcast.example.jp", "server_name 127.0.0.1")
        site = site.replace("/srv/zundapod/var/media/", f"{self.var}/media/")
        (self.work / "site.conf").write_text(site)
        self.nginx_conf = self.work / "nginx.conf"
        self.nginx_conf.write_text(
            f"user root;\nworker_processes 1;\npid {self.work}/nginx.pid;\nerror_log {self.work}/nginx-error.log;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{ include /etc/nginx/mime.types; access_log {self.work}/nginx-access.log;\n"
            f"  client_body_temp_path {self.work}/nginx-body; proxy_temp_path {self.work}/nginx-proxy;\n"
            f"  include {self.work}/site.conf; }}\n"
        )
        sh("nginx", "-t", "-c", str(self.nginx_conf))
        sh("nginx", "-c", str(self.nginx_conf))
        self.wait_for(self.nginx_port, "/")

    # --- checks ---------------------------------------------------------------

    def media_path(self, env) -> str:
        code = "from episodes.catalogue.models import Episode; e = Episode.objects.published().exclude(audio_file='').order_by('number').first(); print(e.audio_file.url, e.number)"
        return self.manage(env, "shell", "-c", code).stdout.strip().splitlines()[-1]

    @step("through nginx: pages, feed, raw UTF-8 /audio/, Range via X-Accel-Redirect, /healthz by address")
    def requests(self):
        media_url, number = self.media_path(self.env).split()
        self.paths = ["/", "/feed.xml", f"/episode/{number}", "/sitemap.xml", media_url]
        for path in self.paths:
            status, _, body = get(self.nginx_port, path)
            assert status == 200, (path, status)
        status = raw_status(self.nginx_port, "/audio/ずんだもん_テスト.mp3".encode())
        assert status in (301, 404), f"raw UTF-8 /audio/ path answered {status} (nginx must re-encode it)"
        status, headers, body = get(self.nginx_port, media_url, {"Range": "bytes=0-99"})
        assert status == 206 and len(body) == 100 and headers["Content-Range"].startswith("bytes 0-99/"), status
        # A load balancer asks the web server by address, with a host name the site does not serve.
        status, _, body = get(self.web_port, "/healthz", {"Host": "10.0.0.7:8000"})
        assert status == 200 and b'"worker"' in body, (status, body)

    @step("graceful reload (systemctl reload = SIGHUP) under requests through nginx")
    def reload(self):
        stop, errors, done = threading.Event(), [], [0]

        def hammer():
            while not stop.is_set():
                for path in self.paths[:3]:
                    try:
                        status, _, _ = get(self.nginx_port, path)
                        if status != 200:
                            errors.append(status)
                    except OSError as exc:
                        errors.append(repr(exc))
                    done[0] += 1

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for _ in range(4):
                pool.submit(hammer)
            time.sleep(1)
            self.web.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 150
            log = self.work / "web.log"
            while time.monotonic() < deadline and log.read_text().count("Started server process") < 4:
                time.sleep(0.2)
            time.sleep(2)
            stop.set()
        replaced = log.read_text().count("Started server process") - 2
        print(f"  {done[0]} requests, {len(errors)} errors, {replaced} processes replaced")
        assert not errors, errors[:5]
        assert replaced >= 2, "uvicorn did not replace its processes"

    @step("a periodic job run by the worker (its first scheduler pass, about 30 s after start)")
    def worker_ran(self):
        code = "from django_q.models import Success; print(Success.objects.filter(func__startswith='episodes.operations.tasks.').count())"
        for _ in range(90):
            if int(self.manage(self.env, "shell", "-c", code).stdout.strip().splitlines()[-1]) > 0:
                return
            time.sleep(1)
        raise SystemExit("the worker ran no job in 90 s")

    @step("manage.py backup")
    def backup(self):
        out = self.manage(self.env, "backup", str(self.work / "backups")).stdout.strip().splitlines()
        self.backup_dir = Path(out[-1])
        print("  " + out[0])

    @step("restore runbook: new database (recipe) + pg_restore, media untarred into a new folder")
    def restore(self):
        restored = f"{self.role}_restored"
        self.create_database(restored)
        env = {**os.environ, "PGPASSWORD": self.password}
        sh(
            "pg_restore", "--exit-on-error", "--no-owner", "--no-comments", "-h", PG["host"], "-p", PG["port"], "-U", self.role,
            "--dbname", restored, str(self.backup_dir / "db.dump"), env=env,
        )  # fmt: skip
        var = self.work / "restored-var"
        (var / "media").mkdir(parents=True)
        sh("tar", "-xf", str(self.backup_dir / "media.tar"), "-C", str(var / "media"))
        self.restored_env = self.environment(restored, var)
        self.manage(self.restored_env, "upgrade")

    @step("the restored site serves the same bytes")
    def compare(self):
        port = free_port()
        self.start("zundapod-web.service", {**self.restored_env, "WEB_CONCURRENCY": "1"}, port, "restored-web.log")
        self.wait_for(port)
        for path in self.paths:
            original, restored = get(self.web_port, path), get(port, path)
            assert original[0] == restored[0] == 200, (path, original[0], restored[0])
            assert original[2] == restored[2], f"{path}: {len(original[2])} bytes against {len(restored[2])}"
        print(f"  {len(self.paths)} paths identical")

    # --- clean-up -------------------------------------------------------------

    def teardown(self):
        if self.nginx_conf and (self.work / "nginx.pid").exists():
            sh("nginx", "-c", str(self.nginx_conf), "-s", "stop", check=False)
        for process in self.processes:
            if process.poll() is None:
                process.terminate()  # the main process only, as KillMode=mixed does
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        drop = ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["superuser"], "-q"]
        for name in self.databases:
            sh(*drop, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)
        sh(*drop, "-c", f'DROP ROLE IF EXISTS "{self.role}"', check=False)
        import redis  # only the keys this run made (its own prefix)

        client = redis.Redis.from_url(os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15"))
        keys = list(client.scan_iter(match=f"*zundapod-deploy-{self.id}-*", count=1000))
        if keys:
            client.delete(*keys)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="zundapod-deploy-"))
    deploy = Deploy(work)
    started = time.monotonic()
    try:
        deploy.nginx_installed()
        deploy.database()
        deploy.upgrade()
        deploy.services()
        deploy.nginx()
        deploy.requests()
        deploy.reload()
        deploy.worker_ran()
        deploy.backup()
        deploy.restore()
        deploy.compare()
    except (AssertionError, SystemExit) as exc:
        print(f"FAILED: {exc}\n(logs in {work})", file=sys.stderr)
        deploy.teardown()
        return 1
    deploy.teardown()
    shutil.rmtree(work, ignore_errors=True)
    print("\nstep timings:")
    for name, seconds in TIMINGS:
        print(f"  {seconds:6.1f} s  {name}")
    print(f"  {time.monotonic() - started:6.1f} s  total")
    print(f"{len(TIMINGS)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
