"""Render every stored Markdown field again: after the renderer changed, old HTML matches the new rules."""

from django.core.management.base import BaseCommand
from django.db import transaction

from episodes.catalogue.markdown import render_markdown
from episodes.catalogue.models import Actor, Episode, LinkedArticle

# (model, Markdown source field, stored HTML field, label)
RENDERED = [
    (Episode, "notes", "notes_html", "ショーノート"),
    (LinkedArticle, "summary", "summary_html", "記事の要約"),
    (Actor, "bio", "bio_html", "出演者の紹介文"),
]
BATCH = 500


class Command(BaseCommand):
    help = "保存済みの Markdown（ショーノート、記事の要約、紹介文）を今の描画規則で作り直します。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="変わる件数を数えるだけで保存しません")

    def handle(self, *args, dry_run: bool, verbosity: int, **options):
        total = 0
        with transaction.atomic():  # one change for the site: the revision moves once
            for model, source, target, label in RENDERED:
                changed = []
                for row in model.objects.only("pk", source, target).iterator(chunk_size=BATCH):
                    html = render_markdown(getattr(row, source))
                    if html != getattr(row, target):
                        setattr(row, target, html)
                        changed.append(row)
                if changed and not dry_run:
                    model.objects.bulk_update(changed, [target], batch_size=BATCH)
                total += len(changed)
                if verbosity >= 1:
                    self.stdout.write(
                        f"  {label}: {len(changed)} 件{'が変わります' if dry_run else 'を作り直しました'}"
                    )
        verb = "変わります（試行のみ）" if dry_run else "作り直しました"
        self.stdout.write(self.style.SUCCESS(f"Markdown の HTML を {total} 件{verb}。"))
