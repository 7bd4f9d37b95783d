"""Publishing-API upload benchmark: a ~100 MB MP3 through gunicorn, with the worker's memory watched.

Run with `.venv/bin/python bench/upload.py` (see --help). It builds a fresh
site in a temporary folder (never your data): migrated SQLite, one show, a
token from `create_api_token`. It generates a long MP3 (tone.mp3's MPEG frames
repeated, as tests/audio_server.py does), starts gunicorn with one sync
worker and streams the MP3 from disk to POST /api/v1/episodes with
http.client (Content-Length known, the body never held in memory), then
sends the same request again with the same Idempotency-Key.

The worker's resident memory is sampled from /proc every few milliseconds,
and its high-water mark (VmHWM, reset after warm-up) read at the end.
Target: peak growth under 60 MB, 201 then 200 with the same body, the true
size stored. Exits non-zero when a target is missed.
"""

import argparse
import http.client
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchsite import free_port, start_gunicorn
from mutagen.id3 import BitPaddedInt
from mutagen.mp3 import MPEGFrame

ROOT = Path(__file__).resolve().parent.parent
TONE = ROOT / "tests" / "data" / "tone.mp3"
BOUNDARY = "zundapod-bench-" + secrets.token_hex(8)
TARGET_GROWTH_MB = 60
SHOW = "ベンチの番組"
SEED = f"""\
from episodes.catalogue.models import Show
Show.objects.create(name={SHOW!r}, slug="bench", description="ベンチ", author="ベンチ", owner_email="owner@example.jp")
"""


def post_text(number: int, day: str, stem: str) -> str:
    return f"""---
actor_ids:
  - ずんだもん
audio_file_path: /audio/{stem}.mp3
date: {day[:4]}-{day[4:6]}-{day[6:]} 06:00:00 +0900
description: 'アップロードのベンチ'
title: {SHOW} podcast {day}
---

## 関連リンク

- [記事](https://example.com/{number})

要約。

引用元: https://example.com/{number}
"""


def write_long_mp3(path: Path, size: int) -> int:
    """tone.mp3's ID3 tag, then its audio frames (without the LAME Info frame) repeated to `size` bytes."""
    data = TONE.read_bytes()
    tag_end = 10 + BitPaddedInt(data[6:10])
    stream = io.BytesIO(data)
    stream.seek(tag_end)
    MPEGFrame(stream)  # the Info frame; the stream is left at the first audio frame
    frames = data[stream.tell() :]
    with path.open("wb") as out:
        out.write(data[:tag_end])
        while out.tell() < size:
            out.write(frames)
        return out.tell()


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


class Sampler(threading.Thread):
    """Polls a process's VmRSS and keeps the highest value seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples = pid, 0, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            self.samples += 1
            time.sleep(0.002)


def prepare_site(workdir: Path, port: int) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}}
    (workdir / "tmp").mkdir()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zundapod.settings",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ZUNDAPOD_VAR_DIR": str(workdir),
            "ZUNDAPOD_ENV_FILE": str(workdir / "none.env"),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "TMPDIR": str(workdir / "tmp"),  # uploads stream to temporary files here
            "LOG_LEVEL": "WARNING",
        }
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=workdir, check=True)
    subprocess.run([*manage, "shell", "-c", SEED], env=env, cwd=workdir, check=True, capture_output=True)
    made = subprocess.run(
        [*manage, "create_api_token", "bench", "--show", "bench", "-v0"],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    return env, made.stdout.strip()


def worker_pid(server: subprocess.Popen) -> int:
    """The one worker's pid (its memory is what the benchmark watches)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def upload(port: int, token: str, post_name: str, post: str, mp3: Path, key: str) -> tuple[int, dict, float]:
    """POST the post and the MP3 as multipart/form-data, streaming the MP3 from disk."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="post"; filename="{post_name}"\r\n'
        f"Content-Type: text/markdown\r\n\r\n{post}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="{mp3.name}"\r\n'
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + mp3.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.putrequest("POST", "/api/v1/episodes")
    for name, value in (
        ("Authorization", f"Bearer {token}"),
        ("Idempotency-Key", key),
        ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
        ("Content-Length", str(length)),
    ):
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(head)
    with mp3.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    try:
        return response.status, json.loads(body), seconds
    except ValueError:
        return response.status, {"raw": body[:300].decode(errors="replace")}, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100, help="size of the generated MP3 in MB (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder for inspection")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="zundapod-upload-bench-"))
    port = free_port()
    env, token = prepare_site(workdir, port)
    small, big = workdir / "bench_podcast_20260104.mp3", workdir / "bench_podcast_20260105.mp3"
    shutil.copy(TONE, small)
    size = write_long_mp3(big, int(options.size_mb * 1024 * 1024))
    server = start_gunicorn(env, workdir, port, workers=1, timeout=300, ready=("/api/v1/openapi.json", {}), cwd=workdir)
    worker = worker_pid(server)
    try:
        # Warm-up: every module the publish path needs is imported before the baseline is taken.
        warm_status, _, _ = upload(
            port, token, "2026-01-04-699.md", post_text(699, "20260104", small.stem), small, "warm-up"
        )
        baseline = rss_kb(worker)
        try:
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            hwm_reset = True
        except OSError:
            hwm_reset = False
        sampler = Sampler(worker)
        sampler.start()
        post = post_text(700, "20260105", big.stem)
        status, body, seconds = upload(port, token, "2026-01-05-700.md", post, big, "bench-1")
        retry_status, retry_body, retry_seconds = upload(port, token, "2026-01-05-700.md", post, big, "bench-1")
        sampler.stop.set()
        sampler.join()
        peak = max(sampler.peak, rss_kb(worker, "VmHWM") if hwm_reset else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)

    growth_mb = (peak - baseline) / 1024
    leftovers = list((workdir / "tmp").rglob("*"))
    stored = body.get("audio", {}).get("size")
    print(f"upload benchmark: gunicorn × 1 sync worker (pid {worker}), embedded SQLite, in {workdir}")
    print(f"  warm-up publish (tone.mp3): {warm_status}")
    print(
        f"upload: {size:,} bytes ({size / 1024 / 1024:.1f} MB) in {seconds:.2f} s"
        f" ({size / 1024 / 1024 / seconds:.0f} MB/s) -> {status} {body.get('result', body.get('code'))}"
    )
    print(
        f"  stored size {stored:,} bytes, duration {body.get('audio', {}).get('duration', 0):.1f} s as read"
        if stored
        else f"  answer: {body}"
    )
    print(f"retry, same Idempotency-Key: {retry_status} in {retry_seconds:.2f} s, same body: {retry_body == body}")
    print(
        f"worker RSS: baseline {baseline / 1024:.1f} MB, peak {peak / 1024:.1f} MB"
        f" ({sampler.samples:,} samples{', VmHWM reset after warm-up' if hwm_reset else ''})"
    )
    print(f"peak RSS growth: {growth_mb:.1f} MB (target < {TARGET_GROWTH_MB} MB)")
    print(f"temporary files left: {len(leftovers)}")
    ok = (
        warm_status == 201
        and status == 201
        and retry_status == 200
        and retry_body == body
        and stored == size
        and growth_mb < TARGET_GROWTH_MB
        and not leftovers
    )
    print("RESULT: " + ("PASS" if ok else "FAIL"))
    if not options.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
