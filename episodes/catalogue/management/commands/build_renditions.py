"""Make the image renditions pages print (WebP and fallback at 96–800 px, a 1200×630 card) for images stored before.

A new upload gets its renditions right after it is saved; this command is for images
stored before renditions existed, a restore that brought back the originals only, or a
build that failed (the page shows the original meanwhile). Files already made are kept.
"""

from django.core.management.base import BaseCommand, CommandError

from episodes.catalogue import pictures
from episodes.catalogue.models import Actor, Episode, Show, Station
from episodes.media import renditions

# Every model with an image pages show, and the field that holds it.
IMAGE_FIELDS = ((Station, "artwork"), (Show, "artwork"), (Actor, "image"), (Episode, "image"))


class Command(BaseCommand):
    help = "画像の縮小版（WebP と JPEG/PNG、SNS カード）がまだない画像について作ります。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="作る対象を表示するだけにします。")

    def handle(self, *args, dry_run=False, **options):
        pending = [
            (model, field, row)
            for model, field in IMAGE_FIELDS
            for row in model.objects.exclude(**{field: ""}).only("pk", field, "renditions").order_by("pk")
            if renditions.needs_renditions(row, field)
        ]
        made = failed = 0
        for index, (model, field, row) in enumerate(pending, start=1):
            name = getattr(row, field).name
            if dry_run:
                self.stdout.write(f"{model._meta.verbose_name} {row.pk}: {name}")
                continue
            if pictures.build_renditions(model=model._meta.label, pk=row.pk, field=field):
                made += 1
            else:
                failed += 1
                self.stderr.write(f"作れませんでした: {model._meta.verbose_name} {row.pk}: {name}")
            if index % 50 == 0:
                self.stdout.write(f"{index}/{len(pending)} …")
        if dry_run:
            self.stdout.write(f"縮小版のない画像が {len(pending)} 件あります。")
            return
        self.stdout.write(self.style.SUCCESS(f"縮小版を {made} 件の画像について作りました。"))
        if failed:
            raise CommandError(f"{failed} 件の画像は読み取れず、縮小版を作れませんでした。")
