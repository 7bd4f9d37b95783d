"""Turning parsed Jekyll posts into shows, actors, episodes and articles.

One importer serves `import_jekyll` (the whole archive) and `publish_episode`
(the pipeline's post of the day): the same rules for both. Episodes are saved
through the models, so audio is probed, Markdown rendered and caches moved
exactly as when an editor saves in the admin.
"""

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import images
from ..audio import AudioError, probe_audio
from ..models import Actor, Appearance, Episode, LegacyPath, LinkedArticle, Show, Station
from .jekyll import Post, PostError, SiteConfig
from .timeline import Timeline, TimelineError, match_sections, read_timeline

# VOICEVOX characters whose terms ask for a `VOICEVOX:<name>` credit. A cast
# name containing one (お嬢様ずんだもん) is credited to it.
VOICEVOX_CHARACTERS = (
    "ずんだもん", "四国めたん", "春日部つむぎ", "雨晴はう", "波音リツ", "玄野武宏", "白上虎太郎", "青山龍星",
    "冥鳴ひまり", "九州そら", "もち子さん", "剣崎雌雄", "WhiteCUL", "後鬼", "No.7", "ちび式じい", "櫻歌ミコ",
    "小夜/SAYO", "ナースロボ＿タイプＴ", "†聖騎士 紅桜†", "雀松朱司", "麒ヶ島宗麟", "春歌ナナ", "猫使アル",
    "猫使ビィ", "中国うさぎ", "栗田まろん", "あいえるたん", "満別花丸", "琴詠ニア", "Voidoll", "ぞん子", "中部つるぎ",
)  # fmt: skip

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"


@dataclass
class Outcome:
    """What happened to one post."""

    status: str
    post: Post | None = None
    episode: Episode | None = None
    reason: str = ""
    warnings: list[tuple[str, str]] = field(default_factory=list)


class EditedInCms(Exception):
    """The episode was changed in the CMS after its last import."""


class ContentConflict(Exception):
    """A different post already holds this episode number."""


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks (MP3s can be hundreds of MB)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def voicevox_credit(name: str) -> str:
    for character in sorted(VOICEVOX_CHARACTERS, key=len, reverse=True):
        if character in name:
            return f"VOICEVOX:{character}"
    return ""


def unique_slug(model, text: str, fallback: str) -> str:
    base = slugify(text, allow_unicode=True)[:90] or fallback
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class ArchiveImporter:
    """Imports posts one at a time, each in its own transaction."""

    def __init__(
        self,
        *,
        site_dir: Path | None = None,
        config: SiteConfig | None = None,
        audio_root: Path | None = None,
        show_map: dict[str, str] | None = None,
        default_show: str | None = None,
        overwrite: bool = False,
        dry_run: bool = False,
    ):
        self.site_dir = site_dir
        self.config = config or SiteConfig(title="")
        self.audio_root = audio_root or (site_dir / "audio" if site_dir else None)
        self.show_map = show_map or {}
        self.default_show = default_show
        self.overwrite = overwrite
        self.dry_run = dry_run
        self._stored_images: dict[Path, str] = {}
        self._stored_audio = ""
        self._host_shows: dict[str, str] = {}
        self.site_host = urlsplit(self.config.url).hostname or ""

    # --- the station and its cast, from _config.yml -------------------------------

    def import_config(self) -> None:
        """Station details and the `actors:` map; existing values are kept unless --overwrite."""
        if self.dry_run or not self.config.title:
            return
        with transaction.atomic():
            station = Station.load()
            fresh = station.description == station.name  # still the placeholder from settings
            if fresh or self.overwrite:
                station.name = self.config.title
                station.description = self.config.description[:500] or self.config.title
                station.long_description = self.config.description_long
                station.author = self.config.author or self.config.title
                station.owner_name = self.config.author
                if self.config.email:
                    station.owner_email = self.config.email
                station.website_url = self.config.url
                station.save()
            for actor_config in self.config.actors.values():
                self._actor(actor_config.key)

    def _actor(self, key: str, credit_hint: str = "") -> Actor:
        config = self.config.actors.get(key)
        name = config.name if config else key
        actor = Actor.objects.filter(name=name).first()
        if actor is None:
            actor = Actor(name=name, slug=unique_slug(Actor, name, "actor"))
            actor.credit = credit_hint or voicevox_credit(name)
            if config:
                actor.profile_url = config.url
                self._attach_actor_image(actor, config.image_url)
            actor.save()
        elif credit_hint and not actor.credit:
            actor.credit = credit_hint
            actor.save(update_fields=["credit"])
        return actor

    def _attach_actor_image(self, actor: Actor, image_url: str) -> None:
        if not image_url:
            return
        stored = self._store_site_image(image_url)
        if stored:
            actor.image = stored
        else:
            actor.image_url = self._absolute(image_url)

    # --- shows -------------------------------------------------------------------------

    def learn_hosts(self, posts: list[Post]) -> None:
        """Which show each voice usually hosts: specials go to their host's show."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for post in posts:
            name = self._show_name(post, guess=False)
            if name:
                for actor_id in post.actor_ids:
                    counts[actor_id][name] += 1
        self._host_shows = {actor_id: c.most_common(1)[0][0] for actor_id, c in counts.items()}
        if not self.default_show:
            totals = Counter(name for post in posts if (name := self._show_name(post, guess=False)))
            self.default_show = totals.most_common(1)[0][0] if totals else self.config.title or None

    def _show_name(self, post: Post, *, guess: bool = True) -> str | None:
        title_show = post.show_name
        if title_show:
            return self.show_map.get(title_show, title_show)
        if post.title in self.show_map:
            return self.show_map[post.title]
        if not guess:
            return None
        for actor_id in post.actor_ids:
            if actor_id in self._host_shows:
                return self._host_shows[actor_id]
        # A special with nothing learned from other posts (publish_episode): the show its voice hosts.
        hosted = Show.objects.filter(hosts__name__in=[self._actor_name(a) for a in post.actor_ids]).first()
        if hosted is not None:
            return hosted.name
        if self.default_show:
            return self.default_show
        raise PostError(
            post.path,
            None,
            "タイトルが「番組名 podcast YYYYMMDD」の形でなく、出演者がホストの番組もないため番組を決められません"
            "（--default-show か --show-map で指定してください）",
        )

    def show_name_for(self, post: Post) -> str | None:
        """The name of the show importing the post would file it under (call `learn_hosts` first)."""
        return self._show_name(post)

    def _show(self, name: str, hosts: list[Actor]) -> Show:
        show = Show.objects.filter(name=name).first()
        if show is None:
            show = Show.objects.create(
                name=name,
                slug=unique_slug(Show, name, "show"),
                description=name,
                long_description=self.config.description_long,
                author=self.config.author or self.config.title or name,
                owner_name=self.config.author,
                owner_email=self.config.email or Station.load().owner_email,
                website_url=self.config.url,
            )
        if hosts and not show.hosts.exists():
            show.hosts.set(hosts)
        return show

    def assign_artwork(self) -> list[str]:
        """Shows without artwork take their most-used episode image when it meets the directory rules.

        The station takes the main show's. Returns warnings for shows left without.
        """
        if self.dry_run:
            return []
        warnings = []
        for show in Show.objects.filter(artwork=""):
            names = Counter(
                Episode.objects.filter(show=show).exclude(image="").values_list("image", flat=True)
            ).most_common()
            for name, _ in names:
                try:
                    with default_storage.open(name, "rb") as f:
                        images.validate_artwork(f)
                except (ValidationError, OSError):
                    continue
                show.artwork = name
                show.save(update_fields=["artwork"])
                break
            else:
                warnings.append(
                    f"番組「{show.name}」のアートワークがありません（1400〜3000px 四方の画像を管理画面で設定してください）"
                )
        station = Station.load()
        main = Show.objects.filter(name=self.default_show).exclude(artwork="").first()
        if not station.artwork and main:
            station.artwork = main.artwork.name
            station.save(update_fields=["artwork"])
        return warnings

    # --- files -------------------------------------------------------------------------

    def _absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://")) or not self.config.url:
            return url
        return self.config.url + ("" if url.startswith("/") else "/") + url

    def _site_path(self, url: str) -> Path | None:
        """The file under SITE_DIR that a site URL or path names, if it is there."""
        if not self.site_dir:
            return None
        parts = urlsplit(url)
        if parts.scheme and parts.hostname != self.site_host:
            return None
        relative = unquote(parts.path).lstrip("/")
        candidate = (self.site_dir / relative).resolve()
        if self.site_dir.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def _store_site_image(self, url: str) -> str:
        """Store an image of the old site once (shared by every episode using it); "" if absent."""
        source = self._site_path(url)
        if source is None:
            return ""
        if source in self._stored_images:
            return self._stored_images[source]
        old_path = "/" + source.relative_to(self.site_dir.resolve()).as_posix()
        legacy = LegacyPath.objects.filter(path=old_path).first()
        if legacy and legacy.target and default_storage.exists(legacy.target):
            self._stored_images[source] = legacy.target
            return legacy.target
        with source.open("rb") as f:
            name = images.name_with_detected_extension(source.name, f)
            stored = default_storage.save(f"images/imported/{images.random_folder()}/{name}", File(f))
        LegacyPath.objects.update_or_create(path=old_path, defaults={"target": stored, "episode": None})
        self._stored_images[source] = stored
        return stored

    def audio_file_for(self, post: Post) -> Path | None:
        if not post.audio_path or post.audio_path.startswith(("http://", "https://")) or not self.audio_root:
            return None
        candidate = self.audio_root / post.audio_filename
        return candidate if candidate.is_file() else None

    def _beside_audio(self, post: Post, suffix: str) -> Path | None:
        if not self.audio_root or not post.audio_stem:
            return None
        candidate = self.audio_root / (post.audio_stem + suffix)
        return candidate if candidate.is_file() else None

    # --- one post ------------------------------------------------------------------------

    def desired(self, post: Post, timeline: Timeline | None, transcript: str, audio_digest: str | None) -> dict:
        """Everything the post says about its episode, as plain data (hashed to spot edits)."""
        starts, _ = match_sections([a.url for a in post.articles], timeline.sections if timeline else [])
        return {
            "show": self._show_name(post),
            "title": post.title[:200],
            "published_at": timezone.localtime(post.published_at).isoformat(),
            "description": post.description,
            "notice": post.notice,
            "notes": self._notes(post),
            "image_url": post.image_url,
            "thumbnail_url": post.thumbnail_url,
            "social_card": post.card if post.card in {"summary", "summary_large_image"} else "",
            "youtube_url": f"https://www.youtube.com/watch?v={post.youtube_id}" if post.youtube_id else "",
            "transcript": transcript,
            "cues": [list(cue) for cue in timeline.cues] if timeline else [],
            "cast": [self._actor_name(a) for a in post.actor_ids],
            "articles": [
                [a.title, a.url, a.summary, a.citation_url, starts.get(i)] for i, a in enumerate(post.articles)
            ],
            # Where the audio is and what it holds: a re-import with --audio-root, or with a
            # re-rendered MP3 of the very same size, updates.
            "audio": [post.audio_path, audio_digest],
        }

    @staticmethod
    def current(episode: Episode) -> dict:
        """What the database holds for an episode, hashed right after an import to spot later edits."""
        return {
            "show": episode.show_id,
            "title": episode.title,
            "status": episode.status,
            "published_at": episode.published_at.isoformat(),
            "description": episode.description,
            "notice": episode.notice,
            "notes": episode.notes,
            "images": [episode.image.name, episode.image_url, episode.thumbnail.name, episode.thumbnail_url],
            "social_card": episode.social_card,
            "youtube_url": episode.youtube_url,
            "transcript": episode.transcript,
            "cues": [list(cue) for cue in episode.transcript_cues],
            "cast": [a.pk for a in episode.actors],
            "articles": [[a.title, a.url, a.summary, a.citation_url, a.start_seconds] for a in episode.articles.all()],
            "audio": [episode.audio_file.name, episode.audio_url],
        }

    @staticmethod
    def fingerprint(data: dict) -> str:
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def _actor_name(self, key: str) -> str:
        config = self.config.actors.get(key)
        return config.name if config else key

    def _notes(self, post: Post) -> str:
        """Trailing lines that are not credit lines (those come from the cast)."""
        lines = [line for line in post.trailer.splitlines() if not line.strip().startswith("VOICEVOX:")]
        return "\n".join(lines).strip()

    def _credit_hint(self, post: Post) -> str:
        credits = [line.strip() for line in post.trailer.splitlines() if line.strip().startswith("VOICEVOX:")]
        return credits[0] if len(post.actor_ids) == 1 and len(credits) == 1 else ""

    def import_post(
        self,
        post: Post,
        *,
        publish_at=None,
        draft: bool = False,
        audio_override: Path | None = None,
        refuse_changes: bool = False,
    ) -> Outcome:
        """Create or update one episode; the post's own transaction either lands whole or not at all."""
        outcome = Outcome(status=SKIPPED, post=post)
        warn = outcome.warnings.append
        timeline, transcript = None, ""
        if (json_path := self._beside_audio(post, ".json")) is not None:
            try:
                timeline = read_timeline(json_path)
            except TimelineError as exc:
                warn(("timeline_unreadable", str(exc)))
        if (txt_path := self._beside_audio(post, ".txt")) is not None:
            try:
                transcript = txt_path.read_text(encoding="utf-8-sig").strip()
            except UnicodeDecodeError as exc:
                raise PostError(txt_path, None, "台本（.txt）が UTF-8 ではありません") from exc
        audio_file = audio_override or self.audio_file_for(post)
        desired = self.desired(post, timeline, transcript, file_digest(audio_file) if audio_file else None)
        if publish_at is not None:
            desired["published_at"] = timezone.localtime(publish_at).isoformat()
        new_hash = self.fingerprint(desired)

        existing = Episode.objects.for_page().filter(number=post.serial).first()
        if existing is not None and not self.overwrite:
            if existing.source_hash == new_hash:
                outcome.status, outcome.episode = UNCHANGED, existing
                return outcome
            if refuse_changes:
                raise ContentConflict(
                    f"番号 {post.serial} のエピソードは別の内容ですでにあります（上書きするなら --overwrite）"
                )
            if existing.written_hash != self.fingerprint(self.current(existing)):
                raise EditedInCms(
                    f"番号 {post.serial} は取り込みのあと CMS で編集されています（上書きするなら --overwrite）"
                )
        if self.dry_run:
            outcome.status = UPDATED if existing else CREATED
            self._audio_warnings(post, audio_file, timeline, warn)
            return outcome

        self._stored_audio = ""
        try:
            with transaction.atomic():
                episode = self._write(
                    post, existing, desired, timeline, audio_file, warn, publish_at=publish_at, draft=draft
                )
                episode = Episode.objects.for_page().get(pk=episode.pk)
                Episode.objects.filter(pk=episode.pk).update(
                    source_hash=new_hash, written_hash=self.fingerprint(self.current(episode))
                )
        except BaseException:
            # The rows rolled back; the MP3 stored on the way must not stay behind as an orphan.
            if self._stored_audio:
                default_storage.delete(self._stored_audio)
            raise
        outcome.status = UPDATED if existing else CREATED
        outcome.episode = episode
        return outcome

    def _audio_warnings(self, post, audio_file, timeline, warn) -> None:
        if post.audio_path.startswith(("http://", "https://")):
            if not (timeline and timeline.duration):
                warn(
                    (
                        "external_audio_unprobed",
                        f"{post.path.name}: 外部の音声のサイズと長さは probe_audio で読み取ります",
                    )
                )
            else:
                warn(
                    (
                        "external_audio_size_unknown",
                        f"{post.path.name}: 外部の音声のサイズは probe_audio で読み取ります",
                    )
                )
        elif audio_file is None:
            warn(
                (
                    "audio_missing",
                    f"{post.path.name}: 音声ファイル {post.audio_path or '（指定なし）'} が見つからないため下書きにしました",
                )
            )

    def _write(self, post, episode, desired, timeline, audio_file, warn, *, publish_at, draft) -> Episode:
        credit_hint = self._credit_hint(post)
        cast = [self._actor(key, credit_hint) for key in post.actor_ids]
        show = self._show(desired["show"], cast[:1])
        if episode is None:
            episode = Episode(number=post.serial)
            if self.config.url:
                # The old feed's guid for this post, exactly: subscribers see nothing new.
                episode.guid = f"{self.config.url}/episode/{post.serial}"
        episode.show = show
        episode.title = post.title[:200]
        episode.published_at = publish_at or post.published_at
        episode.description = post.description
        episode.notice = post.notice
        episode.notes = desired["notes"]
        episode.social_card = desired["social_card"]
        episode.youtube_url = desired["youtube_url"]
        episode.transcript = desired["transcript"]
        episode.transcript_cues = desired["cues"]
        self._set_images(episode, post)
        self._set_audio(episode, post, audio_file, timeline, warn)
        if draft or not (episode.audio_file or episode.audio_url):
            episode.status = Episode.Status.DRAFT
        else:
            episode.status = Episode.Status.PUBLISHED
        # Field checks and the model's rules; uniqueness is left to the database's constraints.
        episode.clean_fields(exclude=["audio_file", "image", "thumbnail", "guid"])
        episode.clean()
        episode.save()

        episode.appearances.all().delete()
        Appearance.objects.bulk_create(
            Appearance(episode=episode, actor=actor, position=i) for i, actor in enumerate(dict.fromkeys(cast))
        )
        episode.articles.all().delete()
        for position, (title, url, summary, citation, start) in enumerate(desired["articles"]):
            article = LinkedArticle(
                episode=episode,
                position=position,
                title=title[:500],
                url=url,
                summary=summary,
                citation_url=citation,
                start_seconds=start,
            )
            article.clean_fields(exclude=["episode"])
            article.save()
        if timeline:
            _, unmatched = match_sections([a.url for a in post.articles], timeline.sections)
            for section in unmatched:
                warn(
                    (
                        "timeline_section_unmatched",
                        f"{post.path.name}: タイムラインの節「{section.title}」に合う記事がありません",
                    )
                )
        if post.audio_path and not post.audio_path.startswith(("http://", "https://")):
            LegacyPath.objects.update_or_create(
                path="/audio/" + post.audio_filename,
                defaults={"episode": episode, "target": ""},
            )
        return episode

    def _set_images(self, episode: Episode, post: Post) -> None:
        stored = self._store_site_image(post.image_url) if post.image_url else ""
        episode.image = stored or ""
        episode.image_url = "" if stored else self._absolute(post.image_url)
        thumb = self._store_site_image(post.thumbnail_url) if post.thumbnail_url else ""
        episode.thumbnail = thumb or ""
        episode.thumbnail_url = "" if thumb else self._absolute(post.thumbnail_url)

    def _set_audio(self, episode: Episode, post: Post, audio_file: Path | None, timeline, warn) -> None:
        if post.audio_path.startswith(("http://", "https://")):
            if episode.audio_url != post.audio_path:
                episode.audio_file = ""
                episode.audio_url = post.audio_path
                episode.audio_size = episode.audio_bitrate = None
                episode.audio_mime_type = ""
                episode.audio_duration = timeline.duration if timeline and timeline.duration else None
            self._audio_warnings(post, None, timeline, warn)
            return
        if audio_file is None:
            self._audio_warnings(post, None, timeline, warn)
            return
        digest = file_digest(audio_file)
        if episode.audio_file and episode.audio_sha256 == digest and not self.overwrite:
            return  # the same bytes are already stored: keep their URL
        with audio_file.open("rb") as f:
            try:
                info = probe_audio(f)
            except AudioError as exc:
                raise PostError(post.path, None, f"音声 {audio_file.name} を読めません: {exc}") from exc
            episode.audio_url = ""
            episode.audio_file = File(f, name=audio_file.name)
            episode.set_audio_info(info)
            episode.audio_sha256 = digest
            episode.save()  # stores the file while it is open
            self._stored_audio = episode.audio_file.name
