"""Writing the old site's public set into the new one: its files stored at their old paths, replaced pages redirected.

Run by import_jekyll after the posts, so the paths the posts already claimed
(an episode's `/audio/…`, an image stored once) keep their rows; everything
else the old domain answered gets a `LegacyPath` (see `episodes.site.legacy`).
Importing again stores nothing twice: a file already stored with the same
bytes is kept.
"""

import hashlib
from collections import Counter
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from episodes.catalogue.models import LegacyPath
from episodes.catalogue.models.legacy import STATIC_TARGET
from episodes.publishing.importers.old_site import MISSING, REDIRECT, STORED, VIEW, OldPath, plan, public_set


def carry_old_site(site_dir: Path, *, dry_run: bool = False) -> Counter:
    """Give every old path a way to answer; returns counts by how (stored, redirected, kept, by views, missing)."""
    counts: Counter = Counter()
    stored: dict[Path, str] = {}
    rows = {row.path: row for row in LegacyPath.objects.filter(path__in=[o.path for o in public_set(site_dir)])}
    for old in public_set(site_dir):
        how, target = plan(old)
        row = rows.get(old.path)
        if how in (VIEW, MISSING):
            counts[how] += 1
        elif row is not None and _claimed_by_a_post(row):
            counts["kept"] += 1
        elif how == REDIRECT:
            counts[REDIRECT] += 1
            if not dry_run and (row is None or row.target != target):
                LegacyPath.objects.update_or_create(path=old.path, defaults={"target": target, "episode": None})
        elif how == STORED:
            counts[STORED] += 1
            if not dry_run:
                name = stored.get(old.source) or _store(old, target, row)
                stored[old.source] = name
                if row is None or row.target != name:
                    LegacyPath.objects.update_or_create(path=old.path, defaults={"target": name, "episode": None})
    return counts


def _claimed_by_a_post(row: LegacyPath) -> bool:
    """An episode's audio, or an image a post or voice stored: the importer's own row stays."""
    if row.episode_id:
        return True
    return bool(row.target) and not row.is_old_file and not row.target.startswith(("/", STATIC_TARGET))


def _same_bytes(source: Path, name: str) -> bool:
    if default_storage.size(name) != source.stat().st_size:
        return False
    with default_storage.open(name, "rb") as stored:
        return hashlib.sha256(stored.read()).digest() == hashlib.sha256(source.read_bytes()).digest()


def _store(old: OldPath, name: str, row: LegacyPath | None) -> str:
    """The file's bytes under its old path (replacing a different copy there); the stored name."""
    if row is not None and row.target == name and default_storage.exists(name) and _same_bytes(old.source, name):
        return name
    if default_storage.exists(name):
        default_storage.delete(name)
    with old.source.open("rb") as f:
        return default_storage.save(name, File(f))
