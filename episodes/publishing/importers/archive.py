"""Writing one post's episode: what the post says, what the row holds, and the write itself.

`episodes.publishing.publish` decides whether a post is written (new, changed,
unchanged, edited in the CMS since) and runs the write in one transaction; this
module says what a post means for its episode (`desired_state`), what a row
holds (`current_state`), and writes it (`write_episode`): the episode is built
and validated in memory first, then the catalogue rows, images, audio, cast and
articles are written. Episodes are saved through the model, so audio is read,
Markdown rendered and caches moved exactly as when an editor saves in the admin.
"""

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.utils import timezone

from episodes.catalogue.links import is_public_origin
from episodes.catalogue.models import Appearance, Episode, LegacyPath, LinkedArticle, episode_guid
from episodes.media.audio import AudioInfo
from episodes.media.audio_metadata import RemoteAudioError
from episodes.media.remote_http import is_external
from episodes.publishing.importers.catalogue import Catalogue, find_or_create_actor, find_or_create_show
from episodes.publishing.importers.files import SiteFiles
from episodes.publishing.importers.jekyll import Post
from episodes.publishing.importers.timeline import Section, Timeline, match_sections

# Recorded on an episode whose external audio the archive import left to probe_audio.
NOT_PROBED = "取り込みのときは読み取っていません。manage.py probe_audio（または import_jekyll --probe）で読み取ります。"


@dataclass
class PreparedPost:
    """One post read, checked and resolved, before anything is written (`publishing.prepare_post`)."""

    post: Post
    show_name: str
    timeline: Timeline | None
    transcript: str
    audio: Path | None
    audio_name: str
    audio_info: AudioInfo | None
    publish_at: object = None
    # What probing external audio gave: its metadata, why it failed, or None (local, known, not probed).
    remote: AudioInfo | RemoteAudioError | None = None
    desired: dict = field(default_factory=dict)
    source_hash: str = ""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # Each article's start in the audio, and the timeline's sections that matched none: matched once, here.
    starts: dict[int, float] = field(init=False)
    unmatched: list[Section] = field(init=False)

    def __post_init__(self):
        sections = self.timeline.sections if self.timeline else []
        self.starts, self.unmatched = match_sections([a.url for a in self.post.articles], sections)

    @property
    def timeline_duration(self) -> float | None:
        return self.timeline.duration if self.timeline and self.timeline.duration else None


def fingerprint(data: dict) -> str:
    """SHA-256 of plain data, keys sorted: equal data, equal hash."""
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def notes_of(post: Post) -> str:
    """Trailing lines that are not credit lines (those come from the cast)."""
    lines = [line for line in post.trailer.splitlines() if not line.strip().startswith("VOICEVOX:")]
    return "\n".join(lines).strip()


def credit_hint_of(post: Post) -> str:
    """A post's single `VOICEVOX:` line when it has one voice: that voice's credit."""
    credits = [line.strip() for line in post.trailer.splitlines() if line.strip().startswith("VOICEVOX:")]
    return credits[0] if len(post.actor_ids) == 1 and len(credits) == 1 else ""


def desired_state(prepared: PreparedPost, *, catalogue: Catalogue) -> dict:
    """Everything the post says about its episode, as plain data (hashed to spot edits)."""
    post, timeline = prepared.post, prepared.timeline
    published_at = prepared.publish_at or post.published_at
    return {
        "show": prepared.show_name,
        "title": post.title[:200],
        "published_at": timezone.localtime(published_at).isoformat(),
        "description": post.description,
        "notice": post.notice,
        "notes": notes_of(post),
        "image_url": post.image_url,
        "thumbnail_url": post.thumbnail_url,
        "social_card": post.card if post.card in {"summary", "summary_large_image"} else "",
        "youtube_url": f"https://www.youtube.com/watch?v={post.youtube_id}" if post.youtube_id else "",
        "transcript": prepared.transcript,
        "cues": [list(cue) for cue in timeline.cues] if timeline else [],
        "cast": [catalogue.actor_name(a) for a in post.actor_ids],
        "articles": [
            [a.title, a.url, a.summary, a.citation_url, prepared.starts.get(i)] for i, a in enumerate(post.articles)
        ],
        # Where the audio is and what it holds: a re-import with --audio-root, or with a
        # re-rendered MP3 of the very same size, updates.
        "audio": [post.audio_path, prepared.audio_info.sha256 if prepared.audio_info else None],
    }


def current_state(episode: Episode) -> dict:
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


def write_episode(
    prepared: PreparedPost,
    *,
    episode: Episode | None,
    catalogue: Catalogue,
    site: SiteFiles,
    draft: bool,
    keep_stored_audio: bool,
    stored_audio: list[str],
    warnings: list[tuple[str, str]],
) -> Episode:
    """Write the episode a prepared post describes (the caller holds the transaction).

    The row is validated before the first write. `keep_stored_audio` keeps an
    MP3 already stored with the same bytes. The name of an MP3 stored here is
    appended to `stored_audio`, so a caller whose transaction rolls back can
    delete it; what the caller should be told is appended to `warnings`.
    """
    post, desired = prepared.post, prepared.desired
    if episode is None:
        episode = Episode(number=post.serial)
        if catalogue.config.url and is_public_origin(catalogue.config.url):
            # The old feed's guid for this post, exactly: subscribers see nothing new.
            episode.guid = episode_guid(catalogue.config.url, post.serial)
    episode.title = desired["title"]
    episode.published_at = prepared.publish_at or post.published_at
    episode.description = post.description
    episode.notice = post.notice
    episode.notes = desired["notes"]
    episode.social_card = desired["social_card"]
    episode.youtube_url = desired["youtube_url"]
    episode.transcript = desired["transcript"]
    episode.transcript_cues = desired["cues"]
    image_source, thumbnail_source = site.site_path(post.image_url), site.site_path(post.thumbnail_url)
    # A missing file of the old site is no image (the page falls back to the show's), and is named below.
    episode.image_url = "" if image_source else site.linked_image_url(post.image_url)
    episode.thumbnail_url = "" if thumbnail_source else site.linked_image_url(post.thumbnail_url)
    with ExitStack() as files:
        attached = _set_audio(episode, prepared, files, keep_stored_audio=keep_stored_audio)
        episode.status = Episode.Status.PUBLISHED if episode.has_audio and not draft else Episode.Status.DRAFT
        # Field checks and the model's rules before anything is written; uniqueness is left
        # to the database's constraints, the show to the catalogue below.
        episode.clean_fields(exclude=["show", "audio_file", "image", "thumbnail", "guid"])
        episode.clean()

        credit_hint = credit_hint_of(post)
        cast = [
            find_or_create_actor(k, catalogue=catalogue, site=site, credit_hint=credit_hint) for k in post.actor_ids
        ]
        episode.show = find_or_create_show(prepared.show_name, catalogue=catalogue, hosts=cast[:1])
        episode.image = site.store_image(post.image_url) if image_source else ""
        episode.thumbnail = site.store_image(post.thumbnail_url) if thumbnail_source else ""
        missing = {
            url for url, found in ((post.image_url, image_source), (post.thumbnail_url, thumbnail_source)) if not found
        }
        for url in sorted(missing):  # once per address, when image and thumbnail name the same file
            if url and site.site_dir and site.is_own_url(url):
                warnings.append(
                    (
                        "image_missing",
                        f"{post.path.name}: {url} は旧サイトのフォルダーにありません"
                        "（番組のアートワークを代わりに表示します。元の画像があれば管理画面でアップロードしてください）",
                    )
                )
        episode.save()  # stores a new MP3 while it is open
        if attached:
            stored_audio.append(episode.audio_file.name)

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
    if post.audio_path and not is_external(post.audio_path):
        # An old path belongs to the episode that first claimed it: another post (another
        # show's token, say) naming the same file must not take its redirect over.
        old_path = "/audio/" + post.audio_filename
        legacy, _ = LegacyPath.objects.get_or_create(path=old_path, defaults={"episode": episode})
        if legacy.episode_id != episode.pk:
            warnings.append(
                (
                    "legacy_path_taken",
                    f"{post.path.name}: 旧サイトのパス {old_path} は別の音声のものなので、変えませんでした",
                )
            )
    return episode


def _set_audio(episode: Episode, prepared: PreparedPost, files: ExitStack, *, keep_stored_audio: bool) -> bool:
    """Point the episode at the post's audio; True when a new MP3 was attached (stored on save)."""
    post, remote = prepared.post, prepared.remote
    if is_external(post.audio_path):
        changed = episode.audio_url != post.audio_path
        if changed:
            episode.audio_file = ""
            episode.audio_url = post.audio_path
        unknown = episode.audio_size is None or episode.audio_duration is None
        if isinstance(remote, AudioInfo):
            episode.set_audio_info(remote)
        elif remote is not None:
            episode.set_audio_problem(str(remote), duration=prepared.timeline_duration)
        elif changed or (unknown and not episode.audio_problem):
            episode.set_audio_problem(NOT_PROBED, duration=prepared.timeline_duration)
        return False
    if prepared.audio is None or keep_stored_audio:
        return False  # no MP3 (a draft, or the one stored before stays), or the same bytes already stored
    episode.audio_url = ""
    episode.audio_file = File(files.enter_context(prepared.audio.open("rb")), name=prepared.audio_name)
    episode.set_audio_info(prepared.audio_info)
    return True
