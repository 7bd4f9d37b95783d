"""Scale-out check: two app servers sharing PostgreSQL, Redis and an S3 server.

Starts moto's S3 server and two gunicorn instances (2 workers each) on two ports,
all configured only by environment variables. Publishes an episode through
instance A's admin (the MP3 goes to the bucket), then checks instance B's
`/feed.xml` shows it on the next request, that the enclosure URL is the
bucket's and answers a Range request with 206, and that letters sent to both
instances at once are all stored exactly once. Prints what it measured and
exits non-zero when anything fails.

Needs PostgreSQL (PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres)
and Redis (REDIS_URL, default redis://127.0.0.1:6379/14). Its database and cache keys are its
own (a per-run name and key prefix), dropped at the end. Run: `make bench-scaleout`.
"""

import http.client
import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import psycopg
from benchsite import free_port, start_gunicorn
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
MP3 = ROOT / "tests" / "data" / "tone.mp3"
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
RUN_ID = secrets.token_hex(4)
DB_NAME = f"zundapod_scaleout_{RUN_ID}"
KEY_PREFIX = f"zundapod-scaleout-{RUN_ID}"
LETTERS_PER_INSTANCE = 50
failures: list[str] = []


def check(condition: bool, what: str) -> None:
    print(f"  {'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        failures.append(what)


def fresh_database() -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(
            f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
        )
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class Browser:
    """A cookie-keeping client that submits forms with their CSRF token, like an editor's browser."""

    def __init__(self, origin: str):
        self.origin = origin
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.origin + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def csrf(self, path: str) -> str:
        _, _, body = self.get(path)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()

    def post(self, path: str, fields: dict, files: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in (files or {}).items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.origin + path,
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": self.origin + path,
                **(headers or {}),
            },
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(
            NoRedirect, *[h for h in self.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)]
        )
        try:
            with opener.open(request, timeout=60) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")


def drop_what_this_run_made() -> None:
    """Only this run's database and keys: other runs may share the servers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}:*", count=500))
    if keys:
        client.delete(*keys)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="zundapod-scaleout-"))
    (workdir / "static").mkdir()
    s3_port, port_a, port_b = free_port(), free_port(), free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    endpoint = f"http://127.0.0.1:{s3_port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    ).create_bucket(Bucket="zundapod-media")
    database_url = fresh_database()
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": KEY_PREFIX,
        "AWS_STORAGE_BUCKET_NAME": "zundapod-media",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_QUERYSTRING_AUTH": "0",
        "AWS_DEFAULT_ACL": "public-read",
        "SITE_URL": f"http://127.0.0.1:{port_a}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port_a},http://127.0.0.1:{port_b}",
        "ZUNDAPOD_VAR_DIR": str(workdir),
        "ZUNDAPOD_ENV_FILE": str(workdir / "none.env"),
        "DJANGO_SUPERUSER_USERNAME": "editor",
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": "editor@example.jp",
        "LETTERS_RATE_LIMIT": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    started = time.perf_counter()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "ensure_admin")
    manage(
        env,
        "shell",
        "-c",
        "from episodes.catalogue.models import Show; Show.objects.create(name='スケール番組', slug='scale', description='x', author='x', owner_email='x@example.jp')",
    )
    a = start_gunicorn(env, workdir, port_a, log=workdir / "a.log")
    b = start_gunicorn(env, workdir, port_b, log=workdir / "b.log")
    print(
        f"scale-out check: 2 gunicorn instances (:{port_a}, :{port_b}) × 2 workers, PostgreSQL {DB_NAME}, Redis {REDIS_URL}, S3 {endpoint}"
    )
    print(f"  set up in {time.perf_counter() - started:.1f} s; logs in {workdir}")
    try:
        run_checks(env, port_a, port_b, password, endpoint)
    finally:
        for process in (a, b):
            process.terminate()
            process.wait(timeout=30)
        s3.stop()
        drop_what_this_run_made()
    print("RESULT:", "PASS" if not failures else f"FAIL ({len(failures)})")
    sys.exit(1 if failures else 0)


def run_checks(env: dict, port_a: int, port_b: int, password: str, endpoint: str) -> None:
    instance_a, instance_b = Browser(f"http://127.0.0.1:{port_a}"), Browser(f"http://127.0.0.1:{port_b}")
    _, headers, _ = instance_b.get("/feed.xml")
    etag_before = headers.get("ETag")

    # An editor publishes through instance A's admin, MP3 upload included.
    token = instance_a.csrf("/admin/login/")
    status, _ = instance_a.post(
        "/admin/login/", {"csrfmiddlewaretoken": token, "username": "editor", "password": password, "next": "/admin/"}
    )
    check(status == 302, f"editor logs in on A ({status})")
    token = instance_a.csrf("/admin/catalogue/episode/add/")
    _, _, add_page = instance_a.get("/admin/catalogue/episode/add/")
    show_id = re.search(rb'<option value="(\d+)"[^>]*>\xe3\x82\xb9\xe3\x82\xb1', add_page).group(1).decode()
    now = time.localtime(time.time() - 3600)
    fields = {
        "csrfmiddlewaretoken": token, "show": show_id, "number": "1", "title": "スケール番組 podcast 20261128",
        "status": "published", "published_at_0": time.strftime("%Y-%m-%d", now), "published_at_1": time.strftime("%H:%M:%S", now),
        "description": "二台目のサーバーにも届くのだ", "notice": "", "notes": "", "transcript": "", "audio_url": "",
        "image_url": "", "thumbnail_url": "", "social_card": "", "youtube_url": "",
        "appearances-TOTAL_FORMS": "0", "appearances-INITIAL_FORMS": "0",
        "articles-TOTAL_FORMS": "0", "articles-INITIAL_FORMS": "0",
        "aired_letters-TOTAL_FORMS": "0", "aired_letters-INITIAL_FORMS": "0", "_save": "保存",
    }  # fmt: skip
    started = time.perf_counter()
    status, location = instance_a.post(
        "/admin/catalogue/episode/add/",
        fields,
        files={"audio_file": ("スケール番組_podcast_20261128.mp3", MP3.read_bytes())},
    )
    check(
        status == 302,
        f"episode published through A's admin ({status}, {(time.perf_counter() - started) * 1000:.0f} ms)",
    )

    # The very next request to instance B shows it.
    status, headers, feed = instance_b.get("/feed.xml", {"If-None-Match": etag_before or ""})
    check(
        status == 200 and "スケール番組 podcast 20261128".encode() in feed,
        f"B's /feed.xml shows it on the next request ({status})",
    )
    enclosure = re.search(rb'<enclosure length="(\d+)" type="audio/mpeg" url="([^"]+)"', feed)
    check(
        enclosure is not None and enclosure.group(2).decode().startswith(endpoint), "the enclosure URL is the bucket's"
    )
    if enclosure:
        check(
            int(enclosure.group(1)) == MP3.stat().st_size,
            f"enclosure length is the file's real size ({enclosure.group(1).decode()} bytes)",
        )
        url = urllib.parse.urlsplit(enclosure.group(2).decode())
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        conn.request("GET", url.path, headers={"Range": "bytes=0-1"})
        response = conn.getresponse()
        response.read()
        check(
            response.status == 206 and response.getheader("Content-Range") == f"bytes 0-1/{MP3.stat().st_size}",
            f"Range on the bucket URL: {response.status} {response.getheader('Content-Range')}",
        )
    status, _, _ = instance_b.get("/episode/1")
    check(status == 200, f"B serves the episode page ({status})")

    # Letters sent to both instances at once: every one stored exactly once.
    def send(instance: Browser, n: int) -> int:
        listener = Browser(instance.origin)
        token = listener.csrf("/letters/")
        status, _ = listener.post(
            "/letters/",
            {
                "csrfmiddlewaretoken": token,
                "radio_name": f"リスナー{n}",
                "message": f"お便り {n} 番です（{instance.origin}）",
                "show": "",
            },
        )
        return status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        jobs = [
            pool.submit(send, instance, n) for n in range(LETTERS_PER_INSTANCE) for instance in (instance_a, instance_b)
        ]
        statuses = [job.result() for job in jobs]
    elapsed = time.perf_counter() - started
    check(
        all(s == 302 for s in statuses),
        f"{len(statuses)} letters sent to A and B in {elapsed:.1f} s, statuses {sorted(set(statuses))}",
    )
    stored = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v", "0", "-c", "from episodes.letters.models import Letter; print(Letter.objects.count(), Letter.objects.values('message').distinct().count())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    ).stdout.split()  # fmt: skip
    check(
        stored == [str(2 * LETTERS_PER_INSTANCE)] * 2,
        f"letters stored: {stored[0] if stored else '?'} rows, {stored[1] if len(stored) > 1 else '?'} distinct, of {2 * LETTERS_PER_INSTANCE} sent",
    )


if __name__ == "__main__":
    main()
