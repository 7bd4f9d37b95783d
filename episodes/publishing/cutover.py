"""Before switching the domain: what of the old site would break on the new one.

One pass against the old site's folder and this database, answering the
questions an owner asks the night before the switch: is every item of the
old feed in the new feed under the same guid, and how many items will each
feed carry after; does every address of the old public set (exactly what its
build published, `importers.old_site`) answer 200 with the same bytes, or a
redirect that lands; does every episode have the size and length a feed
needs; does every feed carry artwork; did every article arrive (counted by a
second, independent reader). The new site is asked through Django's test
client (no server, no network), as a listener's request would be routed, and
everything runs in a transaction that is rolled back: the report writes nothing.
"""

import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.test import Client

from episodes.catalogue.models import Episode, Show, episode_guid
from episodes.feeds.rss import ITUNES_NS
from episodes.publishing.importers.files import SiteFiles
from episodes.publishing.importers.jekyll import ARCHIVE_FOLDER, PostError, parse_post, post_files, read_config
from episodes.publishing.importers.link_count import count_articles
from episodes.publishing.importers.old_site import AUDIO, KIND_LABELS, NOT_CARRIED, OldPath, public_set

# The old feed.xml's Liquid loop may cap its items (`for post in site.posts limit: 50`).
LIQUID_LIMIT = re.compile(r"for\s+\w+\s+in\s+site\.posts[^%]*limit\s*:\s*(\d+)")
RSS_ITEM_GUID = ".//item/guid"
REDIRECTS = (301, 302, 307, 308)
# What only the network can settle (cloud audio not measured from here): with --offline, a note.
NEEDS_NETWORK = {"audio_unmeasured_external", "feed_item_unmeasured_external"}


@dataclass
class Problem:
    kind: str
    where: str
    detail: str


@dataclass
class FeedCount:
    path: str
    before: int | None  # None: the old site had no such feed
    after: int


@dataclass
class Report:
    offline: bool = False
    old_feed_items: int = 0
    old_feed_items_present: int = 0
    urls_checked: int = 0
    urls_ok: int = 0
    urls_by_kind: dict[str, int] = field(default_factory=dict)
    episodes: int = 0
    episodes_in_feed: int = 0
    newly_published: int = 0
    feeds: list[FeedCount] = field(default_factory=list)
    articles_in_source: int = 0
    articles_stored: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        self.problems.append(Problem(kind, where, detail))

    def note(self, kind: str, where: str, detail: str) -> None:
        self.notes.append(Problem(kind, where, detail))

    def as_dict(self) -> dict:
        return {**asdict(self), "ready": self.ready}


PROBLEM_LABELS = {
    "feed_item_missing": "旧フィードの項目が新しいフィードにない",
    "feed_item_unmeasured_external": "旧フィードの項目が、外部の音声がまだ測れていないため新しいフィードにない",
    "url_broken": "旧サイトの URL が新しいサイトで開けない",
    "url_bytes_differ": "旧サイトの URL の中身が旧サイトのファイルと違う",
    "audio_unmeasured": "音声のサイズか長さが分からずフィードに載らない",
    "audio_unmeasured_external": "外部（クラウド）の音声がまだ測れておらずフィードに載らない（probe_audio、要ネットワーク）",
    "feed_without_artwork": "アートワークのないフィード",
    "articles_missing": "記事の数が元の投稿より少ない",
    "article_without_url": "リンク先のない記事（要約はエピソードの補足に残しました）",
    "post_unreadable": "読めない投稿",
    "not_carried": "引き継がない旧サイトのアドレス（理由つき）",
    "image_to_upload": "旧サイトのフォルダーにない画像（管理画面でアップロードしてください）",
}


def cutover_report(site_dir: Path, *, offline: bool = False) -> Report:
    """Check the old site at `site_dir` against this database; nothing is written (all is rolled back)."""
    with transaction.atomic():
        try:
            return _report(site_dir, offline=offline)
        finally:
            # Pages and redirects may record (an /audio/ download, a cache revision): none of it stays.
            transaction.set_rollback(True)


def _report(site_dir: Path, *, offline: bool) -> Report:
    report = Report(offline=offline)
    config = read_config(site_dir)
    posts, unreadable = _read_posts(site_dir)
    for path, reason in unreadable:
        report.add("post_unreadable", path, reason)
    public = urlsplit(settings.SITE_URL)
    client = SiteClient(host=public.netloc or "localhost", secure=public.scheme == "https")
    site = SiteFiles(site_dir=site_dir, base_url=config.url)

    _check_old_feed(report, client, site_dir, posts, config.url)
    _check_old_paths(report, client, public_set(site_dir))
    _check_audio(report)
    _check_feeds(report, client)
    _check_articles(report, posts)
    _check_archived(report, posts)
    _note_missing_images(report, posts, config, site)
    for not_carried in NOT_CARRIED:
        report.note("not_carried", not_carried.path, not_carried.reason)
    if offline:
        report.notes += [p for p in report.problems if p.kind in NEEDS_NETWORK]
        report.problems = [p for p in report.problems if p.kind not in NEEDS_NETWORK]
    return report


class SiteClient(Client):
    """Asks as a listener of the public site would: its host, and https when SITE_URL is (no redirect to it)."""

    def __init__(self, *, host: str, secure: bool):
        super().__init__(HTTP_HOST=host)
        self.secure = secure

    def get(self, path, *args, **kwargs):
        return super().get(path, *args, secure=self.secure, **kwargs)

    def head(self, path, *args, **kwargs):
        return super().head(path, *args, secure=self.secure, **kwargs)


def _read_posts(site_dir: Path):
    """The posts as import_jekyll takes them (the same files, the live one of a serial in both)."""
    posts, unreadable = [], []
    for path in post_files(site_dir):
        try:
            posts.append(parse_post(path))
        except PostError as exc:
            unreadable.append((f"{path.parent.name}/{path.name}", exc.reason))
    return posts, unreadable


def _live(posts):
    return [p for p in posts if p.path.parent.name != ARCHIVE_FOLDER]


def _check_old_feed(report: Report, client: Client, site_dir: Path, posts, site_url: str) -> None:
    """The old feed listed `_posts/` (newest first, perhaps capped); each guid must be in ours."""
    live = sorted(_live(posts), key=lambda p: p.published_at, reverse=True)
    template = site_dir / "feed.xml"
    if template.exists() and (limit := LIQUID_LIMIT.search(template.read_text(encoding="utf-8", errors="replace"))):
        live = live[: int(limit[1])]
    ours = set(_feed_guids(client, "/feed.xml") or [])
    report.old_feed_items = len(live)
    episodes = {e.number: e for e in Episode.objects.filter(number__in=[p.serial for p in live])}
    for post in live:
        guid = episode_guid(site_url, post.serial)
        if guid in ours:
            report.old_feed_items_present += 1
            continue
        episode = episodes.get(post.serial)
        kind = "feed_item_missing"
        if episode is None:
            reason = "エピソードがありません（取り込まれていません）"
        elif episode.feed_guid != guid:
            reason = f"guid が違います（{episode.feed_guid}）"
        elif not episode.is_public:
            reason = f"{episode.publication_label}のままです"
        else:
            reason = episode.feed_problem or "フィードに載っていません"
            if episode.audio_url and episode.audio_size is None:
                kind = "feed_item_unmeasured_external"
        report.add(kind, f"#{post.serial}", reason)


def _feed_guids(client: Client, path: str) -> list[str] | None:
    response = client.get(path)
    if response.status_code != 200:
        return None
    return [(guid.text or "").strip() for guid in ElementTree.fromstring(_body(response)).iterfind(RSS_ITEM_GUID)]


def _check_old_paths(report: Report, client: Client, old_paths: list[OldPath]) -> None:
    """Every path of the old public set answers 200 (the same bytes for a file) or a redirect that lands."""
    kinds = Counter()
    for old in old_paths:
        kinds[KIND_LABELS[old.kind]] += 1
        report.urls_checked += 1
        problem = _answers(client, old)
        if problem is None:
            report.urls_ok += 1
        else:
            report.add(*problem)
    report.urls_by_kind = dict(kinds.most_common())


def _answers(client: Client, old: OldPath) -> tuple[str, str, str] | None:
    """None when the old path lands; else the problem. Audio is asked with HEAD (never a download)."""
    path = quote(old.path, safe="/%")
    head = old.kind == AUDIO
    trail = []
    for _ in range(4):
        response = client.head(path) if head else client.get(path)
        trail.append(str(response.status_code))
        if response.status_code in REDIRECTS:
            target = urlsplit(response["Location"])
            if target.netloc and target.netloc != client.defaults.get("HTTP_HOST"):
                return None  # the file lives on object storage or a CDN: not ours to fetch
            path = target.path + (f"?{target.query}" if target.query else "")
            continue
        if response.status_code != 200:
            return "url_broken", old.path, f"{' → '.join(trail)}（{KIND_LABELS[old.kind]}）"
        is_the_file = old.source is not None and _is_the_file(path, old.path)
        if is_the_file and (differs := _differs(response, old.source, head=head)):
            return "url_bytes_differ", old.path, differs
        return None
    return "url_broken", old.path, " → ".join(trail) + "（転送が多すぎます）"


def _is_the_file(landed: str, old_path: str) -> bool:
    """Whether the answer is the old file itself (its path, or a stored copy), not a page that replaces it."""
    return landed == quote(old_path, safe="/%") or landed.startswith(settings.MEDIA_URL)


def _differs(response, source: Path, *, head: bool) -> str:
    """ "" when the response carries the source's bytes (for HEAD: its length)."""
    if head:
        length = response.get("Content-Length")
        size = source.stat().st_size
        return "" if length is None or int(length) == size else f"長さ {length} バイト、元のファイルは {size} バイト"
    digest = hashlib.sha256(_body(response)).hexdigest()
    return "" if digest == hashlib.sha256(source.read_bytes()).hexdigest() else "元のファイルと中身が違います"


def _check_audio(report: Report) -> None:
    episodes = Episode.objects.published()
    report.episodes = episodes.count()
    report.episodes_in_feed = episodes.in_feed().count()
    for episode in episodes.not_in_feed().order_by("number"):
        if episode.audio_url:
            kind, where = "audio_unmeasured_external", "外部の音声"
        else:
            kind, where = "audio_unmeasured", "音声ファイル"
        report.add(kind, f"#{episode.number}", f"{episode.feed_problem}（{where}: probe_audio で測れます）")


def _check_feeds(report: Report, client: Client) -> None:
    """Each feed: items before (the old site had only /feed.xml) and after, and channel artwork as Apple reads it."""
    feeds = [("/feed.xml", report.old_feed_items)]
    feeds += [(f"/shows/{slug}/feed.xml", None) for slug in Show.objects.public().values_list("slug", flat=True)]
    for path, before in feeds:
        response = client.get(path)
        if response.status_code != 200:
            report.add("feed_without_artwork", path, f"フィードが開けません（{response.status_code}）")
            continue
        channel = ElementTree.fromstring(_body(response)).find("channel")
        report.feeds.append(FeedCount(path, before, len(channel.findall("item")) if channel is not None else 0))
        image = channel.find(f"{{{ITUNES_NS}}}image") if channel is not None else None
        if image is None or not image.get("href"):
            report.add("feed_without_artwork", path, "itunes:image（番組のアートワーク）がありません")


def _body(response) -> bytes:
    return b"".join(response) if response.streaming else response.content


def _check_articles(report: Report, posts) -> None:
    """Articles stored against a second reading of each post (a Markdown parser, not the importer's reader)."""
    stored = dict(
        Episode.objects.filter(number__in=[p.serial for p in posts])
        .annotate(article_count=Count("articles"))
        .values_list("number", "article_count")
    )
    for post in posts:
        in_source = count_articles(post.path.read_text(encoding="utf-8-sig"))
        report.articles_in_source += in_source
        count = stored.get(post.serial)
        if count is None:
            continue  # a missing episode is already a broken URL or a missing feed item
        report.articles_stored += count
        if count >= in_source:
            continue
        # An item with no URL anywhere (`- []()` and no 引用元) cannot be an article; the import named it and
        # kept its text in the notes. Any other shortfall is an article lost.
        without_url = [message for code, message in post.warnings if code == "article_without_url"]
        if in_source - count <= len(without_url):
            report.note("article_without_url", post.path.name, "、".join(without_url))
        else:
            report.add("articles_missing", post.path.name, f"元の投稿 {in_source} 件、保存 {count} 件")


def _check_archived(report: Report, posts) -> None:
    """`_posts.bak/` was never served: its episodes are newly published (or drafts), never broken addresses."""
    archived = [p.serial for p in posts if p.path.parent.name == ARCHIVE_FOLDER]
    report.newly_published = Episode.objects.published().filter(number__in=archived).count()


def _note_missing_images(report: Report, posts, config, site: SiteFiles) -> None:
    """Images the posts or voices name that the old folder lacks: the pages fall back; a person uploads them."""
    missing = {}
    for actor in config.actors.values():
        if site.is_missing(actor.image_url):
            missing.setdefault(urlsplit(actor.image_url).path, f"_config.yml（出演者 {actor.name}）")
    for post in posts:
        for url in (post.image_url, post.thumbnail_url):
            if site.is_missing(url):
                missing.setdefault(urlsplit(url).path, post.path.name)
    for path, used_by in sorted(missing.items()):
        report.note("image_to_upload", path, f"{used_by} などが使う画像")
