"""A row's image renditions: made by the worker once the save that changed the image commits.

`make_renditions(model=…, pk=…, field=…)` takes plain values so the worker can run it; the
models call `build_renditions_on_commit` when an image changes; until it has run pages show
the original, and `manage.py build_renditions` makes those missing for images stored before.
"""

import logging

from django.apps import apps
from PIL import Image, UnidentifiedImageError

from episodes.catalogue import stored_files
from episodes.media import renditions
from episodes.operations.tasks import enqueue_on_commit, side_effect

logger = logging.getLogger(__name__)


def build_renditions(*, model: str, pk: int, field: str) -> bool:
    """Make the renditions of one row's image and record them; False when there was nothing to do or it failed.

    The record is written with `update()` only if the row still holds the same file, so a
    newer upload is never given an older rendition.
    """
    model_class = apps.get_model(model)
    row = model_class.objects.filter(pk=pk).only(field).first()
    fieldfile = getattr(row, field, None) if row else None
    if not fieldfile:
        return False
    try:
        record = renditions.make_renditions(fieldfile.storage, fieldfile.name)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        # Pages keep showing the original; the command names it and tries again.
        logger.warning("renditions of %s could not be made: %s", fieldfile.name, exc)
        return False
    model_class.objects.filter(pk=pk, **{field: fieldfile.name}).update(renditions=record)
    if model_class._meta.label == "catalogue.Episode" and stored_files.bucket_is_private():
        stored_files.refresh(pk)  # on S3 the new renditions are written private: they follow the episode
    return True


@side_effect("保存時の画像の縮小版づくり")
def make_renditions(model: str, pk: int, field: str) -> str:
    """Make one row's image renditions (queued by the save that changed the image)."""
    if build_renditions(model=model, pk=pk, field=field):
        return f"{model} {pk} の {field} の縮小画像を作りました。"
    return f"{model} {pk} の {field} は作るものがありませんでした（画像がないか、読めませんでした）。"


def build_renditions_on_commit(instance, field: str) -> None:
    """Once the row is committed, queue its image's renditions for the worker (off the save, once per upload)."""
    enqueue_on_commit(make_renditions, instance._meta.label, instance.pk, field, group="renditions")
