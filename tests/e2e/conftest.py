"""Browser journeys: the site as `make run` serves it (honcho: uvicorn and the job worker), Debian's chromium, Playwright.

Collected only when asked for, so plain `pytest` (`make test`) never starts a
browser: `pytest tests/e2e` (what `make test-e2e` runs), or any run with E2E=1.

The server under test is set up the way `make run` sets it up (migrate,
collectstatic, load_demo, seed_demo_downloads, ensure_admin, then the Procfile under honcho with DEBUG off) in a fresh
temporary folder with its own SQLite database. These tests request no
pytest-django database fixture, so no test database is ever created for them.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

E2E_DIR = Path(__file__).resolve().parent
ROOT = E2E_DIR.parents[1]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EDITOR_USERNAME = "e2e-editor"
EDITOR_PASSWORD = "e2e-Zunda-mochi-2026"
SERVER_START_SECONDS = 30

# The sandbox and most CI machines have no internet, so YouTube's thumbnail and
# player (i.ytimg.com, www.youtube-nocookie.com) cannot load there. Those
# failures belong to the network, not to the site: they become notes, not errors.
# A CSP violation naming these hosts is never excused.
OFFLINE_HOSTS = frozenset(
    {"i.ytimg.com", "www.youtube-nocookie.com", "youtube-nocookie.com", "www.youtube.com", "youtube.com"}
)

# Reported from inside each page, so a violation is seen even when Chromium
# words its own console message differently. Playwright injects init scripts
# through the DevTools protocol, which the page's CSP does not govern.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "Content Security Policy violation (securitypolicyviolation event): " +
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
    " in " + (event.sourceFile || event.documentURI) + ":" + event.lineNumber
  );
});
"""

_screenshots_key = pytest.StashKey["Screenshots"]()
_notes_key = pytest.StashKey["Notes"]()
_watches_key = pytest.StashKey[list]()
_server_key = pytest.StashKey["Server"]()


# --- Collection: only when asked for ------------------------------------------


def e2e_requested(config: pytest.Config) -> bool:
    """True when the run names tests/e2e (or something inside it), or E2E=1 is set."""
    if os.environ.get("E2E", "").strip() == "1":
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        if path == E2E_DIR or E2E_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config):
    # This conftest only sees paths inside tests/e2e; checked anyway.
    inside = collection_path == E2E_DIR or E2E_DIR in collection_path.parents
    if inside and not e2e_requested(config):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser journeys against the real uvicorn (run with `pytest tests/e2e`)")
    config.stash[_notes_key] = Notes()
    config.stash[_watches_key] = []


# --- Screenshots, notes and the failing page's picture --------------------------


class Screenshots:
    """Numbered PNGs of each step, in one folder the run prints at its start and end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.taken: list[tuple[Path, str]] = []

    def take(self, page, name: str, what: str, *, locator=None, full_page: bool = True) -> Path:
        """Save the whole page (or one element, or just the viewport) as the next numbered PNG."""
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        if locator is not None:
            locator.screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=full_page)
        self.taken.append((path, what))
        return path


@pytest.fixture(scope="session")
def shots(request) -> Screenshots:
    """Where every step's screenshot goes: E2E_SCREENSHOT_DIR, or a new temporary folder."""
    chosen = os.environ.get("E2E_SCREENSHOT_DIR", "").strip()
    if chosen:
        folder = Path(chosen).resolve()
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="zundapod-e2e-shots-"))
    screenshots = Screenshots(folder)
    request.config.stash[_screenshots_key] = screenshots
    _say(request.config, f"e2e screenshots: {folder}")
    return screenshots


def _say(config: pytest.Config, line: str) -> None:
    """Print a line on the terminal now, even without -s (output capture is paused for it)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.failed and report.when in {"setup", "call"}:
        screenshots = item.config.stash.get(_screenshots_key, None)
        # Every browser tab the test used is in its fixtures: picture each one as it was.
        tabs = [value for value in getattr(item, "funcargs", {}).values() if isinstance(value, Tab)]
        if screenshots is not None:
            for tab in tabs:
                try:
                    path = screenshots.take(
                        tab.page, f"FAILED-{item.name}-{tab.role}", f"失敗した時点の{tab.role}の画面 ({tab.page.url})"
                    )
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    report.sections.append(("e2e screenshot", f"{tab.role}: no screenshot ({exc})"))
                else:
                    report.sections.append(("e2e screenshot", f"{tab.role} at {tab.page.url}: {path}"))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    screenshots = config.stash.get(_screenshots_key, None)
    notes = config.stash.get(_notes_key, [])
    server = config.stash.get(_server_key, None)
    if screenshots is None and not notes:
        return
    terminalreporter.section("e2e journeys")
    if server is not None:
        terminalreporter.write_line(f"server folder (database, media, server.log): {server.var_dir}")
    for watch in config.stash.get(_watches_key, []):
        if watch.public_pages:
            terminalreporter.write_line(f"public pages the {watch.role} visited (console and CSP watched):")
            for url in watch.public_pages:
                terminalreporter.write_line(f"  {url}")
    if notes:
        terminalreporter.write_line("notes (not failures):")
        for note in notes:
            terminalreporter.write_line(f"  - {note}")
    if screenshots is not None:
        for path, what in screenshots.taken:
            terminalreporter.write_line(f"  {path.name}: {what}")
        terminalreporter.write_line(f"e2e screenshots: {screenshots.folder}")


# --- Console errors and CSP violations, per page ----------------------------------


def is_public(url: str) -> bool:
    """Pages listeners see; the admin and the editor's endpoints are staff-only."""
    path = urlsplit(url).path
    return not path.startswith(("/admin/", "/markdownx/"))


def offline_noise(text: str, source_url: str) -> bool:
    """An error caused only by the machine having no internet (see OFFLINE_HOSTS)."""
    if "Content Security Policy" in text:
        return False
    host = urlsplit(source_url).hostname or ""
    if host in OFFLINE_HOSTS:
        return True
    return "net::ERR_" in text and any(name in text for name in OFFLINE_HOSTS)


class Notes(list):
    """Things worth knowing that are not failures; each said once."""

    def add(self, note: str) -> None:
        if note not in self:
            self.append(note)


@dataclass
class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations, grouped by the page they happened on."""

    role: str
    notes: Notes
    errors: dict = field(default_factory=lambda: defaultdict(list))
    staff_errors: dict = field(default_factory=lambda: defaultdict(list))
    public_pages: list = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self._record(page.url, f"uncaught exception: {error}"))
        page.on("requestfailed", lambda request: self._request_failed(page, request))
        page.on("framenavigated", lambda frame: self._visited(page, frame))

    def _visited(self, page, frame) -> None:
        if frame == page.main_frame and is_public(frame.url) and frame.url not in self.public_pages:
            self.public_pages.append(frame.url)

    def _console(self, page, message) -> None:
        text = message.text
        if message.type != "error" and "Content Security Policy" not in text:
            return
        source = (message.location or {}).get("url", "")
        if offline_noise(text, source):
            if (urlsplit(source).hostname or "") not in OFFLINE_HOSTS:  # those are noted as failed requests
                self.notes.add(f"{self.role}, offline, not counted: {text} ({source or 'no source'}) on {page.url}")
            return
        self._record(page.url, f"console.{message.type}: {text}" + (f" ({source})" if source else ""))

    def _request_failed(self, page, request) -> None:
        # Failed requests surface as console errors when they matter (a missing
        # file, a blocked one); the YouTube frame's own load does not, so it is noted here.
        if (urlsplit(request.url).hostname or "") in OFFLINE_HOSTS:
            self.notes.add(
                f"{self.role}, offline, not counted: {request.resource_type} {request.url} failed "
                f"({request.failure}) on {page.url}"
            )

    def _record(self, url: str, line: str) -> None:
        (self.errors if is_public(url) else self.staff_errors)[url].append(line)

    def take_public_errors(self) -> dict:
        """The public pages' errors so far, cleared; staff pages' errors become notes."""
        errors, self.errors = dict(self.errors), defaultdict(list)
        for url, lines in self.staff_errors.items():
            for line in lines:
                self.notes.add(f"{self.role}, staff page {url}: {line}")
        self.staff_errors = defaultdict(list)
        return errors


@dataclass
class Tab:
    """One person's browser tab and what its console said."""

    role: str
    page: object
    watch: ConsoleWatch


# --- The browser -------------------------------------------------------------------


def chromium_path() -> str | None:
    """Debian's chromium (never a downloaded one: the machines running this are offline)."""
    for candidate in (os.environ.get("E2E_CHROMIUM", ""), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """A headless chromium, or a skip saying why there is none."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: install Debian's package (apt-get install chromium) to run the browser journeys")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except PlaywrightError as exc:
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        pytest.skip(f"Playwright cannot launch {executable}: {first_line}")
    yield launched
    launched.close()
    playwright.stop()


def _tab(browser, request, role: str, **context_options) -> Tab:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **context_options)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    watch = ConsoleWatch(role=role, notes=request.config.stash[_notes_key])
    watch.attach(page)
    request.config.stash[_watches_key].append(watch)
    return Tab(role=role, page=page, watch=watch)


@pytest.fixture(scope="module")
def editor(browser, server, request):
    """The editor's desktop browser tab (its cookies keep the admin login across tests)."""
    tab = _tab(browser, request, "editor", viewport={"width": 1280, "height": 900})
    yield tab
    tab.page.context.close()


@pytest.fixture(scope="module")
def listener(browser, server, request):
    """A listener's phone: a 390x844 touch screen."""
    tab = _tab(browser, request, "listener", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield tab
    tab.page.context.close()


# --- The server under test -------------------------------------------------------------


@dataclass
class Server:
    url: str
    var_dir: Path
    username: str
    password: str

    def manage(self, *args: str) -> str:
        """Run a manage.py command against this server's database and media; its output."""
        port = urlsplit(self.url).port
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=_server_env(self.var_dir, port),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            pytest.fail(f"manage.py {args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _site_variables() -> set[str]:
    """Every setting the site reads from the environment (.env.example lists them all)."""
    names = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "STATIC_ROOT"}
    example = ROOT / ".env.example"
    if example.exists():
        names |= set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example.read_text(encoding="utf-8"), flags=re.M))
    return names


def _server_env(var_dir: Path, port: int) -> dict[str, str]:
    # Nothing from this shell may point the server elsewhere (a CI job's
    # DATABASE_URL, pytest-django's test settings module): only what is set here.
    env = {name: value for name, value in os.environ.items() if name not in _site_variables()}
    env.update(
        ZUNDAPOD_VAR_DIR=str(var_dir),
        ZUNDAPOD_ENV_FILE=str(var_dir / "none.env"),  # never read the developer's .env
        DJANGO_SETTINGS_MODULE="zundapod.settings",
        DJANGO_SECRET_KEY="e2e-only-secret-key-" + "z" * 40,
        DJANGO_DEBUG="0",
        SITE_URL=f"http://127.0.0.1:{port}",
        DJANGO_SUPERUSER_USERNAME=EDITOR_USERNAME,
        DJANGO_SUPERUSER_PASSWORD=EDITOR_PASSWORD,
        DJANGO_SUPERUSER_EMAIL="editor@example.com",
        LETTERS_RATE_LIMIT="1000",
        # Journeys serve "external" audio from this machine (tests/audio_server.py).
        PROBE_AUDIO_ALLOW_PRIVATE_HOSTS="1",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        PYTHONUNBUFFERED="1",
    )
    return env


def _make_run() -> list[str]:
    """What `make run` starts: the Procfile under honcho (uvicorn for the web, the job worker)."""
    return [str(Path(sys.executable).with_name("honcho")), "--no-colour", "-e", "/dev/null", "-f", "Procfile", "start"]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"make run's honcho exited with {process.returncode}:\n{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(
        f"make run's server did not answer {url} within {SERVER_START_SECONDS}s:\n{log.read_text(errors='replace')[-4000:]}"
    )


QUEUE_LENGTH = "from django_q.models import OrmQ; print(OrmQ.objects.count())"


def _wait_until_worked(env: dict, process: subprocess.Popen, log: Path) -> None:
    """Until the worker has taken what setup queued (the demo images' renditions): journeys start on a settled site."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", QUEUE_LENGTH],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == ["0"]:
            return
        if process.poll() is not None:
            break
        time.sleep(0.5)
    pytest.fail(
        f"the worker did not empty its queue within {SERVER_START_SECONDS}s:\n{log.read_text(errors='replace')[-4000:]}"
    )


@pytest.fixture(scope="session")
def server(browser, tmp_path_factory, request):
    """The site as `make run` serves it, on a free port, with the demo content and an editor account.

    Asks for the browser first, so a machine without one skips before any setup work.
    """
    var_dir = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = _server_env(var_dir, port)
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
        ["load_demo"],
        ["seed_demo_downloads"],
        ["ensure_admin"],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            pytest.fail(f"manage.py {' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    log = var_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        # Its own process group, so the web workers stop with it whatever happens to honcho.
        process = subprocess.Popen(
            _make_run(),
            cwd=ROOT,
            env={**env, "ZUNDAPOD_PORT": str(port), "WEB_CONCURRENCY": "2"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url + "/", process, log)
        _wait_until_worked(env, process, log)
        server = Server(url=url, var_dir=var_dir, username=EDITOR_USERNAME, password=EDITOR_PASSWORD)
        request.config.stash[_server_key] = server
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's whole process group: gracefully, then for good."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
