"""Publishing the pipeline's post of the day: the same rules as the archive import.

Used by `manage.py publish_episode` (and by anything else that publishes one
post). The post is in the archive's format; its MP3, script (`.txt`) and
slide timeline (`.json`) lie beside the MP3.
"""

from datetime import datetime
from pathlib import Path

from .importers.archive import ArchiveImporter, Outcome
from .importers.jekyll import PostError, SiteConfig, parse_post, read_config


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
    """Create (or, with `overwrite`, replace) the episode a post describes.

    An identical post already published is reported unchanged; a different
    post under an existing number raises ContentConflict unless `overwrite`.
    """
    post = parse_post(post_path)
    if audio is not None and not audio.is_file():
        raise PostError(post_path, None, f"音声ファイル {audio} がありません")
    config = _config_near(post_path)
    importer = ArchiveImporter(
        site_dir=post_path.parent.parent if config else None,
        config=config,
        audio_root=_audio_root(post_path, post.audio_filename, audio),
        overwrite=overwrite,
    )
    importer.learn_hosts([post])
    return importer.import_post(post, publish_at=publish_at, draft=draft, audio_override=audio, refuse_changes=True)
