"""An episode's stored files follow it: gone once its deletion commits, and on S3 public only while it is.

A deleted episode's files leave storage once the deletion is committed, on local disk or S3:

Django deletes the row and leaves its files; they stayed reachable by URL
forever (issue 24, finding 12). Removal waits for the commit, so a rolled
back deletion loses nothing, and a file some other episode still holds (an
import that shared one) is kept. A storage that fails is logged, never
raised: the episode is gone either way, and `manage.py` can be rerun.
"""

import logging
import os
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from episodes.media.renditions import card_name, rendition_name

logger = logging.getLogger(__name__)

# An episode's own stored files (models/episodes.py); external URLs are not ours to delete.
FILE_FIELDS = ("audio_file", "image", "thumbnail")


def names_of(episodes: Iterable) -> list[str]:
    """The stored file names of these episodes (instances, or a queryset read once)."""
    if hasattr(episodes, "values_list"):
        rows = episodes.values_list(*FILE_FIELDS)
        return sorted({name for row in rows for name in row if name})
    return sorted({getattr(e, field).name for e in episodes for field in FILE_FIELDS if getattr(e, field)})


def remove_after_commit(names: list[str]) -> None:
    """Delete `names` from storage once the surrounding transaction commits (at once outside one)."""
    if names:
        transaction.on_commit(lambda: remove(names))


def remove(names: list[str]) -> list[str]:
    """Delete each file no episode holds any more, and its emptied upload folder; the names deleted."""
    from episodes.catalogue.models import Episode

    held = Q()
    for field in FILE_FIELDS:
        held |= Q(**{f"{field}__in": names})
    still_held = {name for row in Episode.objects.filter(held).values_list(*FILE_FIELDS) for name in row}
    removed = []
    for name in names:
        if name in still_held:
            continue
        try:
            default_storage.delete(name)
            _remove_empty_folder(str(PurePosixPath(name).parent))
            removed.append(name)
        except Exception:
            logger.exception("stored file %s of a deleted episode not removed", name)
    return removed


def _remove_empty_folder(folder: str) -> None:
    # Every upload has a fresh folder (models/uploads.py); object storage has no folders to remove.
    try:
        path = default_storage.path(folder)
    except NotImplementedError:
        return
    if os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)


# --- On S3: an episode's objects follow it, public once it is, private before (media/s3.py) ---------
# A save refreshes that episode's ACLs after its commit; the periodic job
# `sync_media_visibility` (every minute) opens a scheduled episode's files when
# its time comes and closes an unpublished one's, for changes made without a
# save (the admin's publish/unpublish actions). `Episode.files_public` records
# what the bucket was last told, so the job touches only what changed. Without
# S3 media (the embedded default) nothing here runs: media.py decides per request.


def bucket_is_private() -> bool:
    """Whether media live in a bucket that keeps objects private until told (S3), not on local disk."""
    return hasattr(default_storage, "set_public")


def stored_names(episode) -> list[str]:
    """Every object of the episode: audio, image with its renditions and card, thumbnail."""
    names = [f.name for f in (episode.audio_file, episode.image, episode.thumbnail) if f]
    record = episode.renditions or {}
    if episode.image and record.get("source") == episode.image.name:
        exts = ("webp", record.get("fallback", "jpg"))
        names += [rendition_name(record["source"], width, ext) for width in record.get("widths", []) for ext in exts]
        if record.get("card"):
            names.append(card_name(record["source"]))
    return names


def refresh(pk: int) -> bool | None:
    """Tell the bucket whether episode `pk`'s objects are public now; what it was told (None: no episode)."""
    from episodes.catalogue.models import Episode

    episode = Episode.objects.filter(pk=pk).first()
    if episode is None:
        return None
    public = episode.is_public
    for name in stored_names(episode):
        try:
            default_storage.set_public(name, public)
        except Exception:  # a missing rendition, a flaky bucket: the job tries again next minute
            logger.exception("ACL of %s (episode %s) not set", name, pk)
            return None
    Episode.objects.filter(pk=pk).update(files_public=public)
    return public


def refresh_on_commit(pk: int) -> None:
    if bucket_is_private():
        transaction.on_commit(lambda: refresh(pk))


def sync() -> int:
    """Open the files of episodes that became public, close those that stopped being; how many changed."""
    from episodes.catalogue.models import Episode

    if not bucket_is_private():
        return 0
    public = Episode.objects.published()
    opening = public.filter(files_public=False).values_list("pk", flat=True)
    closing = Episode.objects.filter(files_public=True).exclude(pk__in=public.values("pk")).values_list("pk", flat=True)
    return sum(refresh(pk) is not None for pk in [*opening, *closing])
