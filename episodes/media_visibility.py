"""An episode's objects in the bucket follow it: public once it is, private before (s3_media.py).

A save refreshes that episode's ACLs after its commit; the periodic job
`sync_media_visibility` (every minute) opens a scheduled episode's files when
its time comes and closes an unpublished one's, for changes made without a
save (the admin's publish/unpublish actions). `Episode.files_public` records
what the bucket was last told, so the job touches only what changed. Without
S3 media (the embedded default) nothing here runs: media.py decides per request.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction

from .renditions import card_name, rendition_name

logger = logging.getLogger(__name__)


def active() -> bool:
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
    from .models import Episode

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
    if active():
        transaction.on_commit(lambda: refresh(pk))


def sync() -> int:
    """Open the files of episodes that became public, close those that stopped being; how many changed."""
    from .models import Episode

    if not active():
        return 0
    public = Episode.objects.published()
    opening = public.filter(files_public=False).values_list("pk", flat=True)
    closing = Episode.objects.filter(files_public=True).exclude(pk__in=public.values("pk")).values_list("pk", flat=True)
    return sum(refresh(pk) is not None for pk in [*opening, *closing])
