"""`make run` believes X-Forwarded-For from nobody unless FORWARDED_ALLOW_IPS names the proxy (issue 24, finding 6).

uvicorn's own default trusts 127.0.0.1, so 50 X-Forwarded-For values sent
from loopback were 50 listeners. The test takes the uvicorn flags `make -n
run` prints and starts the real uvicorn CLI with them, serving a tiny ASGI
app (below) that answers the client address uvicorn hands to the app.
"""

import http.client
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def echo_client(scope, receive, send):
    """The address the application is told the request came from."""
    if scope["type"] != "http":
        return
    body = scope["client"][0].encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def run_flags(env: dict) -> list[str]:
    """The proxy flags of the uvicorn that `make run` starts: the Procfile's web line, as honcho's shell expands it.

    `make -n run` prints the UVICORN_PROXY_FLAGS it hands honcho; the web line is then
    expanded by `sh` with `exec` turned into `echo`, so what is read is what would run.
    """
    printed = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    handed = re.search(r'UVICORN_PROXY_FLAGS="([^"]*)"', printed.stdout)
    assert handed, "make run no longer hands UVICORN_PROXY_FLAGS to the Procfile"
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    shell_env = {**env, "UVICORN_PROXY_FLAGS": handed[1], "ZUNDAPOD_PORT": "8000", "WEB_CONCURRENCY": "1"}
    command = web.removeprefix("web:").replace(" exec ", " echo ", 1)
    expanded = subprocess.run(["sh", "-c", command], env=shell_env, capture_output=True, text=True, check=True)
    words = shlex.split(expanded.stdout)
    assert "zundapod.asgi:application" in words
    flags = []
    for i, word in enumerate(words):
        if word in ("--proxy-headers", "--no-proxy-headers"):
            flags.append(word)
        elif word == "--forwarded-allow-ips":
            flags += [word, words[i + 1]]
        elif word.startswith("--forwarded-allow-ips="):
            flags += word.split("=", 1)
    return flags


def seen_address(flags: list[str], env: dict) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = "tests.faults.test_requests_forwarded:echo_client"
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning", *flags]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/", headers={"X-Forwarded-For": "203.0.113.9"})
                return connection.getresponse().read().decode()
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_make_run_believes_no_forwarded_header_by_default():
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"}
    flags = run_flags(env)
    assert flags == ["--no-proxy-headers"]
    assert seen_address(flags, env) == "127.0.0.1"


def test_a_configured_proxy_is_believed():
    env = {**os.environ, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    flags = run_flags(env)
    assert re.fullmatch(r"--proxy-headers --forwarded-allow-ips 127\.0\.0\.1", " ".join(flags))
    assert seen_address(flags, env) == "203.0.113.9"
