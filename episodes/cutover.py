"""Before switching the domain: what of the old site would break on the new one.

One pass against the old site's folder and this database, answering the
questions an owner asks the night before the switch: is every item of the
old feed in the new feed under the same guid; does every old address
(episodes, `.html`, `/feed.xml`, `/audio/…`, `/images/…`, `/index.html`)
answer 200 or a redirect that lands; does every episode have the size and
length a feed needs; does every feed carry artwork; did every article of
every post arrive. The new site is asked through Django's test client (no
server, no network), exactly as a listener's request would be routed.
"""

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.db.models import Count
from django.test import Client

from .feeds import ITUNES_NS
from .importers.files import SiteFiles
from .importers.jekyll import PostError, parse_post, post_files, read_config
from .models import Episode, Show

# The old feed.xml's Liquid loop may cap its items (`for post in site.posts limit: 50`).
LIQUID_LIMIT = re.compile(r"for\s+\w+\s+in\s+site\.posts[^%]*limit\s*:\s*(\d+)")
RSS_ITEM_GUID = ".//item/guid"


@dataclass
class Problem:
    kind: str
    where: str
    detail: str


@dataclass
class Report:
    old_feed_items: int = 0
    old_feed_items_present: int = 0
    urls_checked: int = 0
    urls_ok: int = 0
    episodes: int = 0
    episodes_in_feed: int = 0
    feeds_checked: int = 0
    articles_in_source: int = 0
    articles_stored: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        self.problems.append(Problem(kind, where, detail))

    def as_dict(self) -> dict:
        return {**asdict(self), "ready": self.ready}


PROBLEM_LABELS = {
    "feed_item_missing": "旧フィードの項目が新しいフィードにない",
    "url_broken": "旧サイトの URL が新しいサイトで開けない",
    "audio_unmeasured": "音声のサイズか長さが分からずフィードに載らない",
    "feed_without_artwork": "アートワークのないフィード",
    "articles_missing": "記事の数が元の投稿より少ない",
    "post_unreadable": "読めない投稿",
}


def cutover_report(site_dir: Path) -> Report:
    """Check the old site at `site_dir` against this database; nothing is written."""
    report = Report()
    config = read_config(site_dir)
    posts, unreadable = _read_posts(site_dir)
    for path, reason in unreadable:
        report.add("post_unreadable", path, reason)
    public = urlsplit(settings.SITE_URL)
    client = SiteClient(host=public.netloc or "localhost", secure=public.scheme == "https")

    _check_old_feed(report, client, site_dir, posts, config.url)
    _check_urls(report, client, _old_urls(posts, config, SiteFiles(base_url=config.url)))
    _check_audio(report)
    _check_artwork(report, client)
    _check_articles(report, posts)
    return report


class SiteClient(Client):
    """Asks as a listener of the public site would: its host, and https when SITE_URL is (no redirect to it)."""

    def __init__(self, *, host: str, secure: bool):
        super().__init__(HTTP_HOST=host)
        self.secure = secure

    def get(self, path, *args, **kwargs):
        return super().get(path, *args, secure=self.secure, **kwargs)


def _read_posts(site_dir: Path):
    """The posts as import_jekyll takes them (the same files, the live one of a serial in both)."""
    posts, unreadable = [], []
    for path in post_files(site_dir):
        try:
            posts.append(parse_post(path))
        except PostError as exc:
            unreadable.append((f"{path.parent.name}/{path.name}", exc.reason))
    return posts, unreadable


def _check_old_feed(report: Report, client: Client, site_dir: Path, posts, site_url: str) -> None:
    """The old feed listed `_posts/` (newest first, perhaps capped); each guid must be in ours."""
    live = sorted((p for p in posts if p.path.parent.name == "_posts"), key=lambda p: p.published_at, reverse=True)
    template = site_dir / "feed.xml"
    if template.exists() and (limit := LIQUID_LIMIT.search(template.read_text(encoding="utf-8", errors="replace"))):
        live = live[: int(limit[1])]
    response = client.get("/feed.xml")
    ours = set()
    if response.status_code == 200:
        ours = {(guid.text or "").strip() for guid in ElementTree.fromstring(_body(response)).iterfind(RSS_ITEM_GUID)}
    report.old_feed_items = len(live)
    episodes = {e.number: e for e in Episode.objects.filter(number__in=[p.serial for p in live])}
    for post in live:
        guid = f"{site_url}/episode/{post.serial}"
        if guid in ours:
            report.old_feed_items_present += 1
            continue
        episode = episodes.get(post.serial)
        if episode is None:
            reason = "エピソードがありません（取り込まれていません）"
        elif episode.feed_guid != guid:
            reason = f"guid が違います（{episode.feed_guid}）"
        elif not episode.is_public:
            reason = f"{episode.publication_label}のままです"
        else:
            reason = episode.feed_problem or "フィードに載っていません"
        report.add("feed_item_missing", f"#{post.serial}", reason)


def _old_urls(posts, config, site: SiteFiles) -> list[tuple[str, str]]:
    """(path on the new site, what refers to it) for every address the old site served."""
    urls = {"/": "トップページ", "/index.html": "トップページ", "/feed.xml": "フィード"}
    for post in posts:
        urls.setdefault(f"/episode/{post.serial}", post.path.name)
        urls.setdefault(f"/episode/{post.serial}.html", post.path.name)
        for value in (post.audio_path, post.image_url, post.thumbnail_url):
            if path := _own_path(value, site):
                urls.setdefault(path, post.path.name)
    for actor in config.actors.values():
        if path := _own_path(actor.image_url, site):
            urls.setdefault(path, f"_config.yml（{actor.name}）")
    return sorted(urls.items())


def _own_path(value: str, site: SiteFiles) -> str:
    """The path of an address on the old site itself ("" for other hosts and empty values)."""
    if not site.is_own_url(value):
        return ""
    path = urlsplit(value).path
    return quote(path, safe="/%") if path.startswith("/") and path != "/" else ""


def _check_urls(report: Report, client: Client, urls) -> None:
    for path, source in urls:
        report.urls_checked += 1
        status, detail = _lands(client, path)
        if status:
            report.urls_ok += 1
        else:
            report.add("url_broken", path, f"{detail}（{source}）")


def _lands(client: Client, path: str, hops: int = 3) -> tuple[bool, str]:
    """True when the path answers 200, or redirects (301/302/308) to something that does or to another host."""
    trail = []
    for _ in range(hops):
        response = client.get(path)
        trail.append(str(response.status_code))
        if response.status_code == 200:
            return True, ""
        if response.status_code not in (301, 302, 307, 308):
            return False, " → ".join(trail)
        target = urlsplit(response["Location"])
        if target.netloc and target.netloc != client.defaults.get("HTTP_HOST"):
            return True, ""  # the file lives on object storage or a CDN: not ours to fetch
        path = target.path + (f"?{target.query}" if target.query else "")
    return False, " → ".join(trail) + "（転送が多すぎます）"


def _check_audio(report: Report) -> None:
    episodes = Episode.objects.published()
    report.episodes = episodes.count()
    report.episodes_in_feed = episodes.in_feed().count()
    for episode in episodes.not_in_feed().order_by("number"):
        where = "外部の音声" if episode.audio_url else "音声ファイル"
        report.add(
            "audio_unmeasured", f"#{episode.number}", f"{episode.feed_problem}（{where}: probe_audio で測れます）"
        )


def _check_artwork(report: Report, client: Client) -> None:
    """Apple refuses a feed without channel artwork: read each feed as an app would."""
    feeds = ["/feed.xml", *(f"/shows/{slug}/feed.xml" for slug in Show.objects.public().values_list("slug", flat=True))]
    for path in feeds:
        report.feeds_checked += 1
        response = client.get(path)
        if response.status_code != 200:
            report.add("feed_without_artwork", path, f"フィードが開けません（{response.status_code}）")
            continue
        channel = ElementTree.fromstring(_body(response)).find("channel")
        image = channel.find(f"{{{ITUNES_NS}}}image") if channel is not None else None
        if image is None or not image.get("href"):
            report.add("feed_without_artwork", path, "itunes:image（番組のアートワーク）がありません")


def _body(response) -> bytes:
    return b"".join(response) if response.streaming else response.content


def _check_articles(report: Report, posts) -> None:
    stored = dict(
        Episode.objects.filter(number__in=[p.serial for p in posts])
        .annotate(article_count=Count("articles"))
        .values_list("number", "article_count")
    )
    for post in posts:
        report.articles_in_source += len(post.articles)
        count = stored.get(post.serial)
        if count is None:
            continue  # a missing episode is already a broken URL
        report.articles_stored += count
        if count < len(post.articles):
            report.add("articles_missing", post.path.name, f"元の投稿 {len(post.articles)} 件、保存 {count} 件")
