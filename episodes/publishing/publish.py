"""Publishing one post: the one road for the API, `publish_episode` and the archive import.

Every caller hands over a parsed `Post` and its files explicitly (`PostFiles`),
then: `prepare_post` reads the script and timeline, reads the audio's metadata
and hash once (`audio_metadata`), resolves the show once and fingerprints the
post, writing nothing; `publish_post` decides (new, changed, unchanged,
conflicting, edited in the CMS since), probes external audio outside the
transaction, and writes the episode and its import record in one transaction.
A caller may check the prepared post in between (the API checks its token
against the show). `publish_post_file` is the command's door: a post file and
the files lying beside it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction

from episodes.catalogue.models import Episode
from episodes.media.audio import AudioError, AudioInfo
from episodes.media.audio_metadata import RemoteAudioError, audio_metadata
from episodes.media.remote_http import is_external
from episodes.publishing.importers.archive import PreparedPost, current_state, desired_state, fingerprint, write_episode
from episodes.publishing.importers.catalogue import Catalogue, learn_catalogue, show_name_for
from episodes.publishing.importers.files import PostFiles, SiteFiles
from episodes.publishing.importers.jekyll import Post, PostError, SiteConfig, parse_post, read_config
from episodes.publishing.importers.timeline import TimelineError, read_timeline
from episodes.publishing.models import ImportRecord

__all__ = [
    "CREATED",
    "SKIPPED",
    "UNCHANGED",
    "UPDATED",
    "ContentConflict",
    "EditedInCms",
    "Outcome",
    "PostFiles",
    "prepare_post",
    "publish_post",
    "publish_post_file",
]

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"


@dataclass
class Outcome:
    """What happened to one post."""

    status: str
    post: Post | None = None
    episode: Episode | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)


class EditedInCms(Exception):
    """The episode was changed in the CMS after its last import."""


class ContentConflict(Exception):
    """A different post already holds this episode number."""


def prepare_post(
    post: Post,
    *,
    catalogue: Catalogue,
    files: PostFiles,
    publish_at: datetime | None = None,
    probe: bool = True,
) -> PreparedPost:
    """Read, check and resolve everything a post needs, writing nothing.

    Raises `catalogue.ShowUnknown` when the post's show cannot be told and
    PostError (naming the file) for an unreadable script or MP3. External audio
    is probed here, outside any transaction, unless the row already knows it or
    `probe` is off (a dry run; `import_jekyll`, which leaves it to `probe_audio`).
    """
    show_name = show_name_for(post, catalogue)
    warnings = list(post.warnings)  # what the parser could not read, with file and line
    timeline = None
    if files.timeline is not None:
        try:
            timeline = read_timeline(files.timeline)
        except TimelineError as exc:
            warnings.append(("timeline_unreadable", str(exc)))
    audio_name = files.audio_name or (files.audio.name if files.audio else "")
    info = None
    if files.audio is not None:
        try:
            info = audio_metadata(files.audio, sha256=files.audio_sha256)
        except AudioError as exc:
            raise PostError(post.path, None, f"音声 {audio_name} を読めません: {exc}") from exc
    prepared = PreparedPost(
        post=post,
        show_name=show_name,
        timeline=timeline,
        transcript=_read_script(files.script),
        audio=files.audio,
        audio_name=audio_name,
        audio_info=info,
        publish_at=publish_at,
        warnings=warnings,
    )
    prepared.desired = desired_state(prepared, catalogue=catalogue)
    prepared.source_hash = fingerprint(prepared.desired)
    if probe:
        prepared.remote = _probe_external(post, prepared.timeline_duration, prepared.source_hash)
    return prepared


def _read_script(path: Path | None) -> str:
    """The narration script (`.txt`), or "" without one."""
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise PostError(path, None, "台本（.txt）が UTF-8 ではありません") from exc


def publish_post(
    prepared: PreparedPost,
    *,
    catalogue: Catalogue,
    site: SiteFiles,
    draft: bool = False,
    overwrite: bool = False,
    refuse_changes: bool = False,
    dry_run: bool = False,
) -> Outcome:
    """Create or update the episode of a prepared post in one transaction, or say why not.

    An unchanged post is reported unchanged. A changed one raises
    ContentConflict with `refuse_changes` (a post of the day must not replace
    another silently), EditedInCms when the row was edited since its import;
    `overwrite` writes anyway.
    """
    post = prepared.post
    outcome = Outcome(status=SKIPPED, post=post, warnings=list(prepared.warnings))
    existing = Episode.objects.for_page().filter(number=post.serial).first()
    record = ImportRecord.objects.latest_for(post.serial) if existing is not None else None
    if existing is not None and not overwrite:
        if record is not None and record.source_hash == prepared.source_hash:
            outcome.status, outcome.episode = UNCHANGED, existing
            return outcome
        if refuse_changes:
            raise ContentConflict(
                f"番号 {post.serial} のエピソードは別の内容ですでにあります（上書きするなら --overwrite）"
            )
        if record is None or record.written_hash != fingerprint(current_state(existing)):
            raise EditedInCms(
                f"番号 {post.serial} は取り込みのあと CMS で編集されています（上書きするなら --overwrite）"
            )
    outcome.status = UPDATED if existing else CREATED
    if dry_run:
        _audio_warnings(prepared, outcome, existing_audio=existing)
        return outcome

    info = prepared.audio_info
    stored_audio: list[str] = []
    try:
        with transaction.atomic():
            episode = write_episode(
                prepared,
                episode=existing,
                catalogue=catalogue,
                site=site,
                draft=draft,
                keep_stored_audio=_same_audio_stored(existing, record, info),
                stored_audio=stored_audio,
                warnings=outcome.warnings,
            )
            episode = Episode.objects.for_page().get(pk=episode.pk)
            ImportRecord.objects.update_or_create(
                episode=episode,
                source=post.path.name,
                defaults={
                    "source_hash": prepared.source_hash,
                    "written_hash": fingerprint(current_state(episode)),
                    "audio_sha256": _stored_audio_sha256(episode, info, record),
                },
            )
    except BaseException:
        # The rows rolled back; an MP3 stored on the way must not stay behind as an orphan.
        for name in stored_audio:
            default_storage.delete(name)
        raise
    _audio_warnings(prepared, outcome, existing_audio=episode)
    for section in prepared.unmatched:
        outcome.warnings.append(
            (
                "timeline_section_unmatched",
                f"{post.path.name}: タイムラインの節「{section.title}」に合う記事がありません",
            )
        )
    outcome.episode = episode
    return outcome


def _same_audio_stored(existing: Episode | None, record: ImportRecord | None, info: AudioInfo | None) -> bool:
    """The post's MP3 is stored already, the same bytes (--overwrite too): keep the file and its URL."""
    if existing is None or not existing.audio_file or record is None or info is None:
        return False
    return record.audio_sha256 == info.sha256 and default_storage.exists(existing.audio_file.name)


def _stored_audio_sha256(episode: Episode, info: AudioInfo | None, record: ImportRecord | None) -> str:
    """The hash of the MP3 the episode now stores: this post's, or the one kept from before."""
    if not episode.audio_file:
        return ""
    if info is not None:
        return info.sha256
    return record.audio_sha256 if record is not None else ""


def _probe_external(
    post: Post, fallback_duration: float | None, source_hash: str
) -> AudioInfo | RemoteAudioError | None:
    """What probing the post's external audio gives; None when it is local, or known, or the post unchanged."""
    url = post.audio_path
    if not is_external(url):
        return None
    known = Episode.objects.filter(number=post.serial, audio_url=url, audio_size__isnull=False)
    if known.filter(audio_duration__isnull=False).exists():
        return None
    last = ImportRecord.objects.latest_for(post.serial)
    if last is not None and last.source_hash == source_hash:
        return None  # an unchanged post is not written; probe_audio retries its audio
    try:
        return audio_metadata(url, fallback_duration=fallback_duration)
    except RemoteAudioError as exc:
        return exc


def _audio_warnings(prepared: PreparedPost, outcome: Outcome, *, existing_audio: Episode | None) -> None:
    post, name, remote = prepared.post, prepared.post.path.name, prepared.remote
    if is_external(post.audio_path):
        if isinstance(remote, AudioInfo) or (existing_audio and not existing_audio.feed_problem):
            return
        reason = f"（{remote}）" if isinstance(remote, RemoteAudioError) else ""
        if prepared.timeline_duration is None:
            outcome.warnings.append(
                ("external_audio_unprobed", f"{name}: 外部の音声のサイズと長さは probe_audio で読み取ります{reason}")
            )
        else:
            outcome.warnings.append(
                ("external_audio_size_unknown", f"{name}: 外部の音声のサイズは probe_audio で読み取ります{reason}")
            )
    elif prepared.audio is None:
        outcome.warnings.append(
            (
                "audio_missing",
                f"{name}: 音声ファイル {post.audio_path or '（指定なし）'} が見つからないため下書きにしました",
            )
        )


# --- the command's door: a post file and what lies beside it ---------------------------------


def _config_near(post_path: Path) -> SiteConfig | None:
    for folder in (post_path.parent, post_path.parent.parent):
        if (folder / "_config.yml").is_file():
            return read_config(folder)
    return None


def _audio_root(post_path: Path, name: str, audio: Path | None) -> Path:
    if audio is not None:
        return audio.parent
    for folder in (post_path.parent, post_path.parent / "audio", post_path.parent.parent / "audio"):
        if name and (folder / name).is_file():
            return folder
    return post_path.parent


def publish_post_file(
    post_path: Path,
    *,
    audio: Path | None = None,
    publish_at: datetime | None = None,
    draft: bool = False,
    overwrite: bool = False,
) -> Outcome:
    """Create (or, with `overwrite`, replace) the episode a post file describes.

    The MP3 is `audio` or the post's `audio_file_path` found near the post; the
    script and timeline lie beside the MP3. An identical post already published
    is reported unchanged; a different post under an existing number raises
    ContentConflict unless `overwrite`.
    """
    post = parse_post(post_path)
    if audio is not None and not audio.is_file():
        raise PostError(post_path, None, f"音声ファイル {audio} がありません")
    config = _config_near(post_path)
    site = SiteFiles(
        site_dir=post_path.parent.parent if config else None,
        base_url=config.url if config else "",
        audio_root=_audio_root(post_path, post.audio_filename, audio),
    )
    files = site.files_for(post, audio=audio)
    catalogue = learn_catalogue([post], config=config)
    prepared = prepare_post(post, catalogue=catalogue, files=files, publish_at=publish_at)
    return publish_post(prepared, catalogue=catalogue, site=site, draft=draft, overwrite=overwrite, refuse_changes=True)
