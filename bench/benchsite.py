"""What the benchmarks share: a throwaway site, and gunicorn serving it.

Every benchmark runs on its own temporary folder (database, media, static
files), never on your data, and starts servers with the project's own venv.
"""

import http.client
import os
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start-up; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer within 30 s; see {log}")


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
