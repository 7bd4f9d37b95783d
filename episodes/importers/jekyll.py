"""Reading the old Jekyll site: `_config.yml` and posts, into plain data.

Nothing here touches the database: `episodes.importers.archive` turns what
this module reads into rows. Liberal in what it accepts (the archive spans
years of hand-fed posts), precise in what it reports: every problem names
its file and line.
"""

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import yaml
from django.utils.encoding import iri_to_uri

from ..bounds import FIRST_YEAR, LAST_YEAR, is_sane_moment
from ..youtube import youtube_video_id

JST = ZoneInfo("Asia/Tokyo")
# The old site kept these posts out of its build and feed (_config.yml excludes them).
ARCHIVE_FOLDER = "_posts.bak"
ARTICLES_HEADING = re.compile(r"^##\s*関連リンク\s*$")
HEADING = re.compile(r"^##\s")
# `- [title](url)` with optional trailing spaces (Markdown line breaks); the
# archive also holds empty text `- [](url)` and an empty link `- []()`.
ITEM = re.compile(r"^\s{0,3}[-*]\s+\[(?P<title>.*)\]\((?P<url>[^)\s]*)\)\s*$")
# The first line of an item whose link text goes on over the next lines.
ITEM_START = re.compile(r"^\s{0,3}[-*]\s+\[[^\]]*$")
LIST_MARK = re.compile(r"^\s{0,3}[-*]\s")
ITEM_END = re.compile(r"\]\([^)\s]*\)\s*$")
ITEM_CONTINUATION_LINES = 3
CITATION = re.compile(r"^\s*引用元\s*[:：]\s*(?P<url>\S+)\s*$")
TITLE_SHOW = re.compile(r"^(?P<show>.+?)\s+podcast\s+(?P<day>\d{8})\s*$")
FILE_NAME = re.compile(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-(?P<serial>[0-9]{1,9})\.(?:md|markdown)$")
# Posts are a few KB; a larger file is not a post (and its YAML is not parsed).
MAX_POST_BYTES = 1024 * 1024
IFRAME_SRC = re.compile(r"""<iframe[^>]*\ssrc=["']([^"']+)["']""", re.IGNORECASE)
LETTER_FORM_HOSTS = ("forms.gle", "docs.google.com/forms")
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
    """YAML as `yaml.safe_load` reads it, without aliases."""
    return yaml.load(text, Loader=FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass


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
class Article:
    title: str
    url: str
    summary: str
    citation_url: str
    line: int


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


# The channel image in the old feed.xml template, in the Liquid spellings it may take.
FEED_ARTWORK = re.compile(r"""<itunes:image\s+href=(?P<quote>["'])(?P<href>.+?)(?P=quote)""")
LIQUID_PATH = re.compile(r"""\{\{\s*["'](?P<path>[^"']+)["']\s*\|\s*(?:absolute_url|relative_url)\s*\}\}""")
LIQUID_SITE_URL = re.compile(r"\{\{\s*site\.url\s*\}\}")


def read_feed_artwork(site_dir: Path) -> str:
    """The channel artwork the old feed announced (a site path or URL), or ""."""
    template = site_dir / "feed.xml"
    try:
        match = FEED_ARTWORK.search(template.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""
    if not match:
        return ""
    href = LIQUID_PATH.sub(lambda m: m["path"], match["href"])
    href = LIQUID_SITE_URL.sub("", href).strip()
    return "" if "{{" in href or "{%" in href else href


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


def _url(value) -> str:
    """An absolute URL as the web spells it: raw spaces and Japanese percent-encoded.

    The old site wrote cloud audio URLs with raw spaces (the first-anniversary
    special's), which no URL validator accepts. Site paths (`/audio/…`) stay as
    written: they name files and old paths, and are decoded where they are used.
    """
    text = _text(value)
    return iri_to_uri(text) if text.startswith(("http://", "https://")) else text


def _youtube_id(body: str) -> str:
    for src in IFRAME_SRC.findall(body):
        video = youtube_video_id(html.unescape(src))
        if video:
            return video
    return ""


def _is_letter_form(title: str, url: str) -> bool:
    return "お便り" in title or any(host in url for host in LETTER_FORM_HOSTS)


def _joined_items(lines: list[str]) -> list[tuple[int, str]]:
    """(index, line) with an item's link text broken over several lines put back on one."""
    joined, index = [], 0
    while index < len(lines):
        line = lines[index]
        if ITEM_START.match(line) and not ITEM.match(line):
            ahead = []
            for later in lines[index + 1 : index + 1 + ITEM_CONTINUATION_LINES]:
                if not later.strip() or LIST_MARK.match(later):
                    break  # wrapped link text runs on unbroken lines
                ahead.append(later)
            stop = next((n for n, later in enumerate(ahead) if ITEM_END.search(later)), None)
            if stop is not None:
                parts = [line.rstrip(), *(later.strip() for later in ahead[: stop + 1])]
                joined.append((index, _join_wrapped(parts)))
                index += stop + 2
                continue
        joined.append((index, line))
        index += 1
    return joined


def _join_wrapped(parts: list[str]) -> str:
    """Join a wrapped line as a browser shows it: a space between Latin words, none in Japanese."""
    text = parts[0]
    for part in parts[1:]:
        if not part:
            continue
        latin = text[-1:].isascii() and text[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        text += (" " if latin else "") + part
    return text


def _section_end(lines: list[tuple[int, str]], start: int) -> int:
    """Where the 関連リンク section stops: the first `## ` heading after its last article.

    A summary may hold a `## ` heading of its own; only a heading after the last
    item (and after that item's 引用元 line) starts a new part of the post.
    """
    positions = [n for n in range(start + 1, len(lines)) if ITEM.match(lines[n][1])]
    after = positions[-1] if positions else start
    if positions and not _is_letter_form_line(lines[after][1]):
        after = next((n for n in range(after + 1, len(lines)) if CITATION.match(lines[n][1])), after)
    return next((n for n in range(after + 1, len(lines)) if HEADING.match(lines[n][1])), len(lines))


def _is_letter_form_line(line: str) -> bool:
    item = ITEM.match(line)
    return bool(item) and _is_letter_form(item["title"], item["url"])


def _title_from_url(url: str) -> str:
    """A readable stand-in for empty link text: the page's host and path, as a listener would read it."""
    parts = urlsplit(url)
    return unquote(f"{parts.netloc}{parts.path}".rstrip("/")) or url


def parse_articles(path: Path, body: str, first_line: int) -> tuple[list[Article], str, str, list[tuple[str, str]]]:
    """Articles from the `## 関連リンク` list, the letter-form link, the trailing lines and warnings."""
    lines = _joined_items(body.splitlines())
    start = next((n for n, (_, line) in enumerate(lines) if ARTICLES_HEADING.match(line.strip())), None)
    if start is None:
        return [], "", "", []
    end = _section_end(lines, start)
    articles: list[Article] = []
    warnings: list[tuple[str, str]] = []
    letter_form = ""
    current: dict | None = None
    trailer: list[str] = []

    def where(index: int) -> str:
        return f"{path.name}:{first_line + index}"

    def finish():
        if current is None:
            return
        url = _url(current["url"] or current["citation"])
        if not url:
            warnings.append(("article_without_url", f"{where(current['index'])}: リンク先のない記事を読み飛ばしました"))
            return
        title = html.unescape(current["title"]).strip() or _title_from_url(url)
        articles.append(
            Article(
                title=title,
                url=url,
                summary="\n".join(current["summary"]).strip("\n"),
                citation_url=_url(current["citation"]) or url,
                line=first_line + current["index"],
            )
        )

    for index, line in lines[start + 1 : end]:
        item = ITEM.match(line)
        if item:
            finish()
            current = None
            if _is_letter_form(item["title"], item["url"]):
                letter_form = item["url"]
                continue
            current = {"title": item["title"], "url": item["url"], "summary": [], "citation": "", "index": index}
            current["closed"] = False
            continue
        if ITEM_START.match(line):
            warnings.append(
                ("article_unreadable", f"{where(index)}: 記事のリンクとして読めない行です: {line.strip()[:80]}")
            )
        if current is None:
            if letter_form or articles:
                trailer.append(line)
            continue
        citation = CITATION.match(line)
        if citation and not current["closed"]:
            current["citation"] = citation["url"]
            current["closed"] = True
            continue
        if not current["closed"]:
            current["summary"].append(line)
        elif line.strip():
            # Text after 引用元 and before the next item belongs to nobody: keep it.
            trailer.append(line)
    finish()
    return articles, letter_form, "\n".join(trailer).strip(), warnings


def parse_post(path: Path) -> Post:
    """Read one post file; raise PostError naming the file and line on anything unusable."""
    match = FILE_NAME.match(path.name)
    if not match:
        raise PostError(path, None, "ファイル名が YYYY-MM-DD-番号.md の形ではありません")
    try:
        if path.stat().st_size > MAX_POST_BYTES:
            raise PostError(path, None, f"投稿ファイルが大きすぎます（{MAX_POST_BYTES // 1024} KB まで）")
        text = path.read_text(encoding="utf-8-sig")
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
        audio_path=_url(data.get("audio_file_path")),
        image_url=_url(data.get("image_url")),
        thumbnail_url=_url(data.get("thumbnail_url")),
        card=_text(data.get("card")),
        youtube_id=_youtube_id(body),
        articles=articles,
        letter_form_url=letter_form,
        trailer=trailer,
        warnings=warnings,
    )
