"""Every show's slug becomes ASCII; the slug it had (Japanese, from an import) is kept as a former slug (301).

The rules are written out here rather than imported: migrations are history and import nothing from the app.
"""

import re
import unicodedata

from django.db import migrations
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def _ascii(text: str) -> str:
    """`text` as an ASCII slug when that keeps every letter of it, else ""."""
    if any(char.isalnum() and not char.isascii() for char in unicodedata.normalize("NFKD", text)):
        return ""
    return re.sub(r"[-_]+", "-", slugify(text)).strip("-")[:90].strip("-")


def ascii_show_slugs(apps, schema_editor):
    Show = apps.get_model("catalogue", "Show")
    FormerShowSlug = apps.get_model("catalogue", "FormerShowSlug")
    SiteRevision = apps.get_model("catalogue", "SiteRevision")
    taken = set(Show.objects.values_list("slug", flat=True)) | set(FormerShowSlug.objects.values_list("slug", flat=True))
    now = timezone.now()
    changed = 0
    for show in Show.objects.order_by("pk"):
        if ASCII_SLUG.match(show.slug):
            continue
        base = _ascii(show.slug) or _ascii(show.name)
        for n in range(1, 10_000):
            slug = (f"{base}-{n}" if n > 1 else base) if base else f"show-{n}"
            if slug not in taken:
                break
        taken.add(slug)
        FormerShowSlug.objects.create(show=show, slug=show.slug, retired_at=now)
        Show.objects.filter(pk=show.pk).update(slug=slug)
        changed += 1
    if changed:
        # Ready pages and feeds are keyed on the revision: the old addresses must not be served from them.
        if not SiteRevision.objects.filter(pk=1).update(value=F("value") + 1, changed_at=now):
            SiteRevision.objects.create(pk=1, value=1, changed_at=now)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_former_show_slugs")]

    operations = [migrations.RunPython(ascii_show_slugs, migrations.RunPython.noop)]
