"""Search: an episode's title column no longer holds its show's name (every title carries it),
and the whole title moves into the body, so existing rows rank as new saves do.

Self-contained (migrations import nothing from the app): the normalisation is
episodes/search_text.normalize as of this migration. The FTS5 triggers fire on
the UPDATE, so the SQLite index follows; pg_trgm indexes need nothing.
"""

import unicodedata

from django.db import migrations


def _normalize(text):
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def split_show_name_out(apps, schema_editor):
    Episode = apps.get_model("episodes", "Episode")
    batch = []
    for episode in (
        Episode.objects.select_related("show")
        .only("id", "title", "description", "notice", "show__name")
        .iterator(chunk_size=500)
    ):
        name = episode.show.name
        episode.search_title = _normalize(episode.title.replace(name, " ") if name else episode.title)
        episode.search_body = _normalize(f"{episode.title}\n{episode.description}\n{episode.notice}")
        batch.append(episode)
        if len(batch) >= 500:
            Episode.objects.bulk_update(batch, ["search_title", "search_body"])
            batch = []
    if batch:
        Episode.objects.bulk_update(batch, ["search_title", "search_body"])


class Migration(migrations.Migration):
    dependencies = [("episodes", "0010_image_renditions")]

    operations = [migrations.RunPython(split_show_name_out, migrations.RunPython.noop)]
