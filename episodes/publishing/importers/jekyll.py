"""Reading the old Jekyll site: `_config.yml` and posts, into plain data.

Nothing here touches the database: `episodes.publishing.importers.archive` turns what
this module reads into rows. Liberal in what it accepts (the archive spans
years of hand-fed posts), precise in what it reports: every problem names
its file and line.
"""

import fnmatch
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import yaml

from episodes.catalogue.bounds import FIRST_YEAR, LAST_YEAR, is_sane_moment
from episodes.catalogue.links import youtube_video_id
from episodes.catalogue.text import clean_data
from episodes.publishing.importers.links import Article, encoded_url, parse_articles

JST = ZoneInfo("Asia/Tokyo")
# The old site kept these posts out of its build and feed (_config.yml excludes them).
ARCHIVE_FOLDER = "_posts.bak"
# `<show> podcast YYYYMMDD`, perhaps with a note after the date (`※6/14まで平日試験配信中`).
TITLE_SHOW = re.compile(r"^(?P<show>.+?)\s+podcast\s+(?P<day>\d{8})(?:\s+\S.*)?\s*$")
FILE_NAME = re.compile(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-(?P<serial>[0-9]{1,9})\.(?:md|markdown)$")
# Posts are a few KB; a larger file is not a post (and its YAML is not parsed).
MAX_POST_BYTES = 1024 * 1024
IFRAME_SRC = re.compile(r"""<iframe[^>]*\ssrc=["']([^"']+)["']""", re.IGNORECASE)
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without aliases: `*a` repeated through anchors expands exponentially (a "billion laughs").

    Front matter is flat `key: value` text written by people and the pipeline;
    it never needs an alias, so one is refused before anything is expanded.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML のエイリアス（*名前）は使えません", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str):
    """YAML as `yaml.safe_load` reads it, without aliases; an impossible date is a YAMLError too."""
    try:
        # Cleaned at the door: `"\\ud83d"` escapes decode to halves of characters UTF-8 cannot encode.
        return clean_data(yaml.load(text, Loader=FrontMatterLoader))  # noqa: S506 - a SafeLoader subclass
    except (ValueError, OverflowError) as exc:  # `date: 2026-02-30` fails inside the timestamp constructor
        raise yaml.YAMLError(f"値を読めません（{exc}）") from exc


class PostError(ValueError):
    """A post that cannot be imported: which file, which line, and why."""

    def __init__(self, path: Path, line: int | None, reason: str):
        self.path, self.line, self.reason = path, line, reason
        where = f"{path.name}:{line}" if line else path.name
        super().__init__(f"{where}: {reason}")


@dataclass
class ActorConfig:
    key: str
    name: str
    image_url: str = ""
    url: str = ""


@dataclass
class SiteConfig:
    title: str
    description: str = ""
    description_long: str = ""
    author: str = ""
    email: str = ""
    url: str = ""
    actors: dict[str, ActorConfig] = field(default_factory=dict)


@dataclass
class Post:
    path: Path
    serial: int
    title: str
    published_at: datetime
    description: str
    notice: str
    actor_ids: list[str]
    audio_path: str
    image_url: str
    thumbnail_url: str
    card: str
    youtube_id: str
    articles: list[Article]
    letter_form_url: str
    trailer: str
    # (code, message) for what the reader could not place: named in the import summary.
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def show_name(self) -> str | None:
        """The show's name from a `<show> podcast YYYYMMDD` title, or None for a special."""
        match = TITLE_SHOW.match(self.title)
        return match["show"].strip() if match else None

    @property
    def audio_filename(self) -> str:
        """The audio file's name, percent-decoded, without its folder (`/audio/<name>.mp3` → `<name>.mp3`)."""
        return unquote(self.audio_path).rsplit("/", 1)[-1]

    @property
    def audio_stem(self) -> str:
        """The audio file's name without extension (its script and timeline share it)."""
        name = self.audio_filename
        return name.rsplit(".", 1)[0] if "." in name else name


def read_config(site_dir: Path) -> SiteConfig:
    """The site's `_config.yml`: title, description, author and the `actors:` map."""
    path = site_dir / "_config.yml"
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise PostError(path, None, "_config.yml がありません") from exc
    except yaml.YAMLError as exc:
        line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else None
        raise PostError(path, line, f"YAML を読めません: {exc}") from exc
    actors = {}
    for key, value in (data.get("actors") or {}).items():
        value = value if isinstance(value, dict) else {}
        actors[str(key)] = ActorConfig(
            key=str(key),
            name=str(value.get("name") or key),
            image_url=str(value.get("image_url") or ""),
            url=str(value.get("url") or ""),
        )
    return SiteConfig(
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        description_long=str(data.get("description_long") or data.get("description") or ""),
        author=str(data.get("author") or ""),
        email=str(data.get("email") or ""),
        url=str(data.get("url") or "").rstrip("/"),
        actors=actors,
    )


# The channel image in the old feed.xml template, in the Liquid spellings it may take:
# `{{ site.url }}`, `{{ site.github.url }}` (GitHub Pages), `{{ site.baseurl }}`, and a
# quoted path through the `absolute_url` / `relative_url` filters. The old feed's
# `<media:thumbnail url=…>` stands in when it names no itunes:image.
FEED_ARTWORK = re.compile(r"""<itunes:image\s+href=(?P<quote>["'])(?P<href>.+?)(?P=quote)""")
FEED_THUMBNAIL = re.compile(r"""<media:thumbnail\s+url=(?P<quote>["'])(?P<href>.+?)(?P=quote)""")
LIQUID_PATH = re.compile(r"""\{\{\s*["'](?P<path>[^"']+)["']\s*\|\s*(?:absolute_url|relative_url)\s*\}\}""")
LIQUID_SITE_URL = re.compile(r"\{\{\s*site\.(?:url|baseurl|github\.url)\s*\}\}")


def resolve_site_url(href: str) -> str:
    """A template's address with the site URL's Liquid spellings taken out: a site path or a URL ("" if unknown)."""
    href = LIQUID_PATH.sub(lambda m: m["path"], href)
    href = LIQUID_SITE_URL.sub("", href).strip()
    return "" if "{{" in href or "{%" in href else href


def read_feed_artwork(site_dir: Path) -> str:
    """The channel artwork the old feed announced (a site path or URL), or ""."""
    try:
        text = (site_dir / "feed.xml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for pattern in (FEED_ARTWORK, FEED_THUMBNAIL):
        if (match := pattern.search(text)) and (href := resolve_site_url(match["href"])):
            return href
    return ""


def split_front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    """(front matter, body, line number where the body starts)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise PostError(path, 1, "フロントマター（--- で始まる YAML）がありません")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration as exc:
        raise PostError(path, 1, "フロントマターの終わり（---）がありません") from exc
    try:
        data = load_yaml("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        raise PostError(path, line, f"フロントマターの YAML を読めません（{getattr(exc, 'problem', exc)}）") from exc
    if not isinstance(data, dict):
        raise PostError(path, 2, "フロントマターが key: value の形ではありません")
    return data, "\n".join(lines[end + 1 :]), end + 2


def parse_date(path: Path, value) -> datetime:
    """Jekyll dates: `2026-08-21 00:00:00 +0900`, with or without seconds or zone (JST then)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise PostError(path, None, f"date を読めません: {text!r}" if text else "date がありません")
    if not is_sane_moment(moment):
        raise PostError(path, None, f"date は {FIRST_YEAR} 年から {LAST_YEAR} 年までにしてください: {moment:%Y-%m-%d}")
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _youtube_id(body: str) -> str:
    for src in IFRAME_SRC.findall(body):
        video = youtube_video_id(html.unescape(src))
        if video:
            return video
    return ""


def parse_post(path: Path, *, read_from: Path | None = None) -> Post:
    """Read one post file; raise PostError naming the file and line on anything unusable.

    `read_from` is where the bytes are when they are not at `path` (an upload's
    temporary file): the post is still named, and numbered, by `path`.
    """
    match = FILE_NAME.match(path.name)
    if not match:
        raise PostError(path, None, "ファイル名が YYYY-MM-DD-番号.md の形ではありません")
    source = read_from or path
    try:
        if source.stat().st_size > MAX_POST_BYTES:
            raise PostError(path, None, f"投稿ファイルが大きすぎます（{MAX_POST_BYTES // 1024} KB まで）")
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PostError(path, None, "UTF-8 として読めません") from exc
    except OSError as exc:
        raise PostError(path, None, f"読めません（{exc.strerror}）") from exc
    data, body, body_line = split_front_matter(path, text)
    title = _text(data.get("title"))
    if not title:
        raise PostError(path, 2, "title がありません")
    actor_ids = data.get("actor_ids") or []
    if isinstance(actor_ids, str):
        actor_ids = [actor_ids]
    articles, letter_form, trailer, warnings = parse_articles(path, body, body_line)
    return Post(
        path=path,
        serial=int(match["serial"]),
        title=title,
        published_at=parse_date(path, data.get("date") or match["date"]),
        description=html.unescape(_text(data.get("description"))),
        notice=html.unescape(_text(data.get("information"))),
        actor_ids=[str(a).strip() for a in actor_ids if str(a).strip()],
        audio_path=encoded_url(data.get("audio_file_path")),
        image_url=encoded_url(data.get("image_url")),
        thumbnail_url=encoded_url(data.get("thumbnail_url")),
        card=_text(data.get("card")),
        youtube_id=_youtube_id(body),
        articles=articles,
        letter_form_url=letter_form,
        trailer=trailer,
        warnings=warnings,
    )


def post_files(site_dir: Path, *, only: str | None = None) -> list[Path]:
    """Posts of `_posts.bak/` then `_posts/`, by serial; a serial in both is taken from `_posts/` (the live one)."""
    by_serial: dict[int, Path] = {}
    for folder in (ARCHIVE_FOLDER, "_posts"):
        for path in sorted((site_dir / folder).glob("*")):
            if path.suffix not in {".md", ".markdown"} or (only and not fnmatch.fnmatch(path.name, only)):
                continue
            match = FILE_NAME.match(path.name)
            key = int(match["serial"]) if match else -len(by_serial) - 1
            by_serial[key] = path
    return [by_serial[key] for key in sorted(by_serial, key=lambda k: (k < 0, k))]
