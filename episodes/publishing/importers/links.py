"""The `## 関連リンク` list of a post: its articles, the letter-form link, and what follows.

Years of hand-fed posts hold every shape a Markdown list can take: a heading
inside a summary, link text wrapped over lines, empty link text. Each article
arrives, or is named in a warning with its file and line.
"""

import html
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.encoding import iri_to_uri

from episodes.media.remote_http import is_external

ARTICLES_HEADING = re.compile(r"^##\s*関連リンク\s*$")
HEADING = re.compile(r"^##\s")
# `- [title](url)` with optional trailing spaces (Markdown line breaks); the
# archive also holds empty text `- [](url)` and an empty link `- []()`.
ITEM = re.compile(r"^\s{0,3}[-*]\s+\[(?P<title>.*)\]\((?P<url>[^)\s]*)\)\s*$")
# The first line of an item whose link text goes on over the next lines.
ITEM_START = re.compile(r"^\s{0,3}[-*]\s+\[[^\]]*$")
LIST_MARK = re.compile(r"^\s{0,3}[-*]\s")
ITEM_END = re.compile(r"\]\([^)\s]*\)\s*$")
# Wrapped link text in the archive runs over at most a few lines, blank ones included
# (a pasted post's paragraphs), or goes on on a line that starts like a list item
# (`- ログミーTech](url)`, a page title's " - Site" suffix broken onto its own line).
ITEM_CONTINUATION_LINES = 8
CITATION = re.compile(r"^\s*引用元\s*[:：]\s*(?P<url>\S+)\s*$")
LETTER_FORM_HOSTS = ("forms.gle", "docs.google.com/forms")


def encoded_url(value) -> str:
    """An absolute URL as the web spells it: raw spaces and Japanese percent-encoded.

    The old site wrote cloud audio URLs with raw spaces (the first-anniversary
    special's), which no URL validator accepts. Site paths (`/audio/…`) stay as
    written: they name files and old paths, and are decoded where they are used.
    """
    text = "" if value is None else str(value).strip()
    return iri_to_uri(text) if is_external(text) else text


@dataclass
class Article:
    title: str
    url: str
    summary: str
    citation_url: str
    line: int


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
                if ITEM.match(later) or ITEM_START.match(later) or HEADING.match(later) or CITATION.match(later):
                    break  # the next article, or the summary: this item's text did not go on
                ahead.append(later)
                if ITEM_END.search(later):
                    break
            if ahead and ITEM_END.search(ahead[-1]):
                parts = [line.rstrip(), *(later.strip() for later in ahead)]
                joined.append((index, _join_wrapped(parts)))
                index += len(ahead) + 1
                continue
        joined.append((index, line))
        index += 1
    return joined


def _join_wrapped(parts: list[str]) -> str:
    """Join a wrapped line as a browser shows it: a space between Latin words and paragraphs, none in Japanese.

    A part that starts with a list mark (`- ログミーTech`) was a title's separator, kept as " - ".
    """
    text = parts[0]
    after_blank = False
    for part in parts[1:]:
        if not part:
            after_blank = True
            continue
        latin = text[-1:].isascii() and text[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        text += (" " if latin or after_blank or LIST_MARK.match(part) else "") + part
        after_blank = False
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
    orphans: list[str] = []

    def where(index: int) -> str:
        return f"{path.name}:{first_line + index}"

    def finish():
        if current is None:
            return
        url = encoded_url(current["url"] or current["citation"])
        if not url:
            warnings.append(
                (
                    "article_without_url",
                    f"{where(current['index'])}: リンク先のない記事は記事にせず、要約を補足に残しました",
                )
            )
            orphans.append("\n".join(current["summary"]).strip("\n"))  # the text stays visible in the notes
            return
        title = html.unescape(current["title"]).strip() or _title_from_url(url)
        articles.append(
            Article(
                title=title,
                url=url,
                summary="\n".join(current["summary"]).strip("\n"),
                citation_url=encoded_url(current["citation"]) or url,
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
    kept = "\n\n".join(text for text in orphans if text.strip())
    return articles, letter_form, "\n\n".join(t for t in (kept, "\n".join(trailer).strip()) if t), warnings
