"""A deleted episode's files leave storage once the deletion is committed, on local disk or S3.

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
    from .models import Episode

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
