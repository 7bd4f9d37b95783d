"""Turning parsed Jekyll posts into shows, actors, episodes and articles.

One importer serves `import_jekyll` (the whole archive) and `publish_episode`
(the pipeline's post of the day): the same rules for both. Episodes are saved
through the models, so audio is probed, Markdown rendered and caches moved
exactly as when an editor saves in the admin.

This module holds what happens to one post; the rows many posts share (station,
actors, shows) are in `catalogue.py`, the old site's files in `files.py`.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ..audio import AudioError, probe_audio
from ..links import is_public_origin
from ..models import Appearance, Episode, LegacyPath, LinkedArticle
from .catalogue import VOICEVOX_CHARACTERS, CatalogueMixin, unique_slug, voicevox_credit
from .files import SiteFilesMixin, file_digest
from .jekyll import Post, PostError, SiteConfig
from .timeline import Timeline, TimelineError, match_sections, read_timeline

__all__ = [
    "CREATED",
    "SKIPPED",
    "UNCHANGED",
    "UPDATED",
    "VOICEVOX_CHARACTERS",
    "ArchiveImporter",
    "ContentConflict",
    "EditedInCms",
    "Outcome",
    "file_digest",
    "unique_slug",
    "voicevox_credit",
]

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


class ArchiveImporter(CatalogueMixin, SiteFilesMixin):
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
        outcome = Outcome(status=SKIPPED, post=post, warnings=list(post.warnings))
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
            if self.config.url and is_public_origin(self.config.url):
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
        self._set_images(episode, post, warn)
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
            # An old path belongs to the episode that first claimed it: another post (another
            # show's token, say) naming the same file must not take its redirect over.
            old_path = "/audio/" + post.audio_filename
            legacy, _ = LegacyPath.objects.get_or_create(path=old_path, defaults={"episode": episode})
            if legacy.episode_id != episode.pk:
                warn(
                    (
                        "legacy_path_taken",
                        f"{post.path.name}: 旧サイトのパス {old_path} は別の音声のものなので、変えませんでした",
                    )
                )
        return episode

    def _set_images(self, episode: Episode, post: Post, warn) -> None:
        stored = self._store_site_image(post.image_url) if post.image_url else ""
        episode.image = stored or ""
        episode.image_url = "" if stored else self._absolute(post.image_url)
        thumb = self._store_site_image(post.thumbnail_url) if post.thumbnail_url else ""
        episode.thumbnail = thumb or ""
        episode.thumbnail_url = "" if thumb else self._absolute(post.thumbnail_url)
        for url, found in ((post.image_url, stored), (post.thumbnail_url, thumb)):
            if url and not found and self.site_dir and self.is_own_url(url):
                warn(
                    (
                        "image_missing",
                        f"{post.path.name}: {url} は旧サイトのフォルダーにありません（切り替えると開けません）",
                    )
                )

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
        if episode.audio_file and episode.audio_sha256 == digest and default_storage.exists(episode.audio_file.name):
            return  # the same bytes are already stored (--overwrite too): keep the file and its URL
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
