"""What the benchmarks share: a throwaway site, and gunicorn serving it.

Every benchmark runs on its own temporary folder (database, media, static
files), never on your data, and starts servers with the project's own venv.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Variables that would point a benchmark at someone's real services.
OUTSIDE = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME")


def in_process_site(prefix: str, *, keep_database: bool = False, **env: str) -> Path:
    """Point this process's Django at a fresh temporary site, then set Django up.

    `keep_database` leaves DATABASE_URL alone, to measure on PostgreSQL (whose database is emptied).
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    (workdir / "static").mkdir()
    for name in OUTSIDE:
        if not (keep_database and name == "DATABASE_URL"):
            os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "zundapod.settings",
            "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
            "ZUNDAPOD_VAR_DIR": str(workdir),
            "ZUNDAPOD_ENV_FILE": str(workdir / "none.env"),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            **env,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    # With DEBUG off, static() reads the manifest collectstatic writes (the feed names its stylesheet).
    call_command("collectstatic", interactive=False, verbosity=0)
    return workdir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    env: dict,
    workdir: Path,
    port: int,
    *,
    workers: int = 2,
    timeout: int = 120,
    log: Path | None = None,
    ready: tuple[str, dict] = ("/healthz", {}),
    cwd: Path = ROOT,
) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port, returned once `ready` (path, headers) answers 200."""
    log = log or workdir / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "zundapod.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(timeout),
            "--error-logfile",
            str(log),
            # Django's own log (tracebacks, "database is locked") goes to the same file.
            "--capture-output",
            # Not the shared ~/.gunicorn/gunicorn.ctl another server on this machine may use.
            "--no-control-socket",
        ],  # fmt: skip
        env=env,
        cwd=cwd,
    )
    path, headers = ready
    try:
        wait_until_answering(server, port, path, headers, seconds=30)
    except RuntimeError as exc:
        server.terminate()
        raise RuntimeError(f"gunicorn {exc}; see {log}") from None
    return server


def wait_until_answering(process: subprocess.Popen, port: int, path: str, headers=None, *, seconds: float) -> None:
    """Return once GET `path` answers 200; RuntimeError if `process` exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("exited at start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path, headers=headers or {})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"did not answer within {seconds:.0f} s")


# As the Makefile's `run` target starts it; keep the two in step.
MAKE_RUN = (
    "{bin}/uvicorn {asgi} --host 127.0.0.1 --port {port} --workers {workers} "
    "--lifespan off --timeout-graceful-shutdown 5"
)
SITE_APPS = {"asgi": "zundapod.asgi:application", "wsgi": "zundapod.wsgi:application"}


class Server:
    """A server command (MAKE_RUN by default) in its own process group, stopped as a group.

    `apps` fills the template's {asgi} and {wsgi}; `ready` is the path that answers 200 once it serves.
    """

    def __init__(
        self, port: int, env: dict, workers: int, *, template: str = MAKE_RUN, apps: dict = SITE_APPS,
        ready: str = "/healthz", log_name: str = "server",
    ):  # fmt: skip
        command = template.format(bin=Path(sys.executable).parent, port=port, workers=workers, **apps)
        self.port = port
        self.log = open(Path(env["ZUNDAPOD_VAR_DIR"]) / f"{log_name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            command.split(), env=env, cwd=ROOT, stdout=self.log, stderr=self.log, start_new_session=True
        )
        try:
            wait_until_answering(self.process, port, ready, seconds=60)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"the server {exc}: {command}") from None

    def processes(self) -> dict[int, int]:
        """RSS in KiB of every process in the server's group (master and workers)."""
        sizes = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.process.pid:
                    continue
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[int(entry.name)] = int(line.split()[1])
            except (OSError, ProcessLookupError):
                continue
        return sizes

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def own_postgres_database(prefix: str = "zundapod_bench") -> tuple[str, str]:
    """A new database of this run's own beside DATABASE_URL's (never the shared one), as DATABASE_URL."""
    import psycopg

    base = os.environ["DATABASE_URL"]
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    return base, name


def drop_database(base: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_on_own_database(postgres: bool, run, *args) -> None:
    """`run(*args)` on a PostgreSQL database of its own on DATABASE_URL's server (dropped after) when
    `postgres`, else on the throwaway site's SQLite."""
    database = own_postgres_database() if postgres else None
    try:
        run(*args)
    finally:
        if database:
            drop_database(*database)


def cast_and_articles(episodes, actor, *, summary: str, summary_html, per_episode: int = 5) -> None:
    """Each episode's one voice and `per_episode` news articles, as a full archive has them.

    `summary_html` is the stored HTML, or a function of nothing that gives a new one per article.
    """
    from episodes.catalogue.models import Appearance, LinkedArticle

    Appearance.objects.bulk_create(Appearance(episode=e, actor=actor) for e in episodes)
    LinkedArticle.objects.bulk_create(
        LinkedArticle(
            episode=e,
            position=p,
            title=f"記事 {e.number}-{p}",
            url=f"https://news.example.com/{e.number}/{p}",
            summary=summary,
            summary_html=summary_html() if callable(summary_html) else summary_html,
            citation_url=f"https://news.example.com/{e.number}/{p}",
        )
        for e in episodes
        for p in range(per_episode)
    )
