"""The old site's public set: every path its build published, and how the new site carries each.

The old repository is two builds in one: Jekyll (pages, posts at their
permalinks, static files, minus `_config.yml`'s `exclude` and anything whose
name starts with `_` or `.`) and a Next.js static export (its `public/` folder
at the root, its pages as routes with trailing slashes). The build's own rules
are followed here, so the cut-over report checks exactly what the old domain
answered: `_posts.bak/` (excluded) is not in it.

Each path is carried one way: answered by one of our views (episodes, the
feed, the home page), its very bytes stored and served at the same path
(`LegacyPath` to a file under `legacy/`), a 301 to the page that replaces it,
or named as not carried with the reason.
"""

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from episodes.catalogue.models.legacy import LEGACY_STORAGE
from episodes.publishing.importers.jekyll import FILE_NAME, load_yaml

# Jekyll leaves these out even when `_config.yml` does not say so.
JEKYLL_DEFAULT_EXCLUDE = ("Gemfile", "Gemfile.lock", "node_modules", "vendor")
NEXT_PUBLIC = "public"
NEXT_PAGES = ("src/pages", "pages")
PAGE_SOURCES = (".tsx", ".jsx", ".ts", ".js")
# A dynamic route's getStaticPaths that lists a folder of public/ (`path.join(…, 'public/slides')`).
STATIC_PATHS_FOLDER = re.compile(r"""['"]public/(?P<folder>[\w./-]+?)/?['"]""")

PAGE, EPISODE, AUDIO, FILE, PUBLIC, NEXT = "page", "episode", "audio", "file", "public", "next"
KIND_LABELS = {
    PAGE: "Jekyll のページ",
    EPISODE: "エピソード",
    AUDIO: "音声ファイル",
    FILE: "Jekyll の静的ファイル",
    PUBLIC: "public/ のファイル",
    NEXT: "Next.js のページ",
}


@dataclass(frozen=True)
class OldPath:
    """One address the old site answered (`path` decoded), what made it, and the file it sent as is."""

    path: str
    kind: str
    source: Path | None = None


@dataclass(frozen=True)
class NotCarried:
    """An address (or a family of them) deliberately left behind, and why."""

    path: str
    reason: str


# Served by the new site's own views: the home page, the feed, and (per post) the episodes.
SERVED_BY_VIEWS = {"/", "/index.html", "/feed.xml"}
# Pages of the old build that a page of the new site replaces: a 301 there.
REPLACED_PAGES = {"/programs/": "/shows/", "/css/main.css": "static:css/site.css"}
NOT_CARRIED = (
    NotCarried("/_next/…", "Next.js が書き出したスクリプトと CSS（ビルドごとに名前が変わり、旧ページだけが参照）"),
    NotCarried("/404.html", "Next.js の 404 ページ（新しいサイトは自分の 404 を返します）"),
    NotCarried("/api/…", "Next.js の API ルート（静的書き出しには含まれず、旧サイトでも応答しませんでした）"),
)


def excluded(relative: PurePosixPath, patterns) -> bool:
    """Whether Jekyll leaves a file out: a part starting with `_` or `.`, or an `exclude` entry."""
    if any(part.startswith(("_", ".")) for part in relative.parts):
        return True
    prefixes = [PurePosixPath(*relative.parts[: n + 1]).as_posix() for n in range(len(relative.parts))]
    return any(fnmatch.fnmatch(prefix, pattern.strip("/")) for prefix in prefixes for pattern in patterns)


def jekyll_config(site_dir: Path) -> dict:
    try:
        data = load_yaml((site_dir / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def public_set(site_dir: Path) -> list[OldPath]:
    """Every path the old build published, sorted; Jekyll's output wins where both builds wrote one."""
    found: dict[str, OldPath] = {}
    for old in [*_next_export(site_dir), *_jekyll_output(site_dir)]:
        found[old.path] = old
    return sorted(found.values(), key=lambda old: old.path)


def _jekyll_output(site_dir: Path):
    config = jekyll_config(site_dir)
    patterns = [*JEKYLL_DEFAULT_EXCLUDE, *(str(p) for p in config.get("exclude") or [])]
    for source in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        relative = PurePosixPath(source.relative_to(site_dir).as_posix())
        if excluded(relative, patterns):
            continue
        if _has_front_matter(source) or f"/{relative}" in SERVED_BY_VIEWS:
            yield from _page(relative, source)
        else:
            kind = AUDIO if relative.parts[0] == "audio" and relative.suffix in {".mp3", ".m4a"} else FILE
            yield OldPath(f"/{relative}", kind, source)
    permalink = str(config.get("permalink") or "/:categories/:year/:month/:day/:title:output_ext")
    if not (site_dir / "_posts").is_dir():
        return
    for post in sorted((site_dir / "_posts").glob("*")):
        if match := FILE_NAME.match(post.name):
            # The archive's permalink is /episode/:title; GitHub Pages answers it with and without .html.
            url = _permalink(permalink, title=match["serial"], date=match["date"])
            yield OldPath(url, EPISODE)
            if not url.endswith((".html", "/")):
                yield OldPath(f"{url}.html", EPISODE)


def _permalink(pattern: str, *, title: str, date: str) -> str:
    """A post's URL from Jekyll's permalink placeholders (no categories in this archive)."""
    year, month, day = date.split("-")
    values = {":categories": "", ":year": year, ":month": month, ":day": day, ":title": title, ":output_ext": ".html"}
    url = re.sub(r":[a-z_]+", lambda m: values.get(m[0], ""), pattern)
    return re.sub(r"/{2,}", "/", url)


def _has_front_matter(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4).rstrip(b"\r\n") == b"---"


def _page(relative: PurePosixPath, source: Path):
    suffix = {".md": ".html", ".markdown": ".html", ".scss": ".css", ".sass": ".css"}.get(relative.suffix)
    output = relative.with_suffix(suffix) if suffix else relative
    yield OldPath(f"/{output}", PAGE)
    if output.name == "index.html":
        yield OldPath(_directory(output), PAGE)


def _directory(output: PurePosixPath) -> str:
    parent = output.parent.as_posix()
    return "/" if parent == "." else f"/{parent}/"


def _next_export(site_dir: Path):
    """public/ at the root, and the exported pages (trailingSlash: `/programs/` is programs/index.html)."""
    public = site_dir / NEXT_PUBLIC
    pages = next((site_dir / p for p in NEXT_PAGES if (site_dir / p).is_dir()), None)
    if pages is None and not any(site_dir.glob("next.config.*")):
        return
    if public.is_dir():
        for source in sorted(p for p in public.rglob("*") if p.is_file()):
            relative = PurePosixPath(source.relative_to(public).as_posix())
            if relative.name.startswith("."):
                continue
            yield OldPath(f"/{relative}", PUBLIC, source)
            if relative.name == "index.html":
                yield OldPath(_directory(relative), PUBLIC, source)
    if pages is None:
        return
    for page in sorted(p for p in pages.rglob("*") if p.suffix in PAGE_SOURCES):
        relative = PurePosixPath(page.relative_to(pages).with_suffix("").as_posix())
        if relative.parts[0] == "api" or any(part.startswith("_") for part in relative.parts):
            continue  # API routes and _app/_document are not pages of a static export
        parts = [part for part in relative.parts if part != "index"]
        for values in _route_values(page, public, parts):
            yield OldPath("/" + "".join(f"{v}/" for v in values), NEXT)


def _route_values(page: Path, public: Path, parts: list[str]):
    """The route's segments, a dynamic `[id]` expanded from the public/ folder its getStaticPaths lists."""
    dynamic = [n for n, part in enumerate(parts) if part.startswith("[")]
    if not dynamic:
        yield parts
        return
    match = STATIC_PATHS_FOLDER.search(page.read_text(encoding="utf-8", errors="replace"))
    folder = public / match["folder"] if match else None
    if len(dynamic) != 1 or folder is None or not folder.is_dir():
        return  # paths only the build could tell: left to NOT_CARRIED's explanation
    for entry in sorted(p.name for p in folder.iterdir() if p.is_dir()):
        yield [entry if n == dynamic[0] else part for n, part in enumerate(parts)]


def replacement(old: OldPath) -> str:
    """Where a 301 sends an old page the new site replaces ("" when it is carried another way)."""
    if old.path in REPLACED_PAGES:
        return REPLACED_PAGES[old.path]
    parts = old.path.strip("/").split("/")
    if old.kind == NEXT and len(parts) == 2 and parts[0] == "programs":
        return f"/slides/{parts[1]}/"  # the deck's page that the 3D presenter played
    return ""


def storage_name(old: OldPath) -> str:
    """Where an old file is stored: its old path under `legacy/`, so relative links between them hold."""
    path = old.path.lstrip("/")
    return f"{LEGACY_STORAGE}/{path}index.html" if path.endswith("/") or not path else f"{LEGACY_STORAGE}/{path}"


VIEW, REDIRECT, STORED, MISSING = "view", "redirect", "stored", "missing"


def plan(old: OldPath) -> tuple[str, str]:
    """How the new site carries an old path: (VIEW, ""), (REDIRECT, target), (STORED, storage name) or (MISSING, "")."""
    if old.kind == EPISODE or old.path in SERVED_BY_VIEWS:
        return VIEW, ""
    if target := replacement(old):
        return REDIRECT, target
    if old.source is not None:
        return STORED, storage_name(old)
    return MISSING, ""
