"""Create a publishing-API token for a script or an operator, and print its secret once.

The secret alone goes to standard output, so a script can capture it
(`TOKEN=$(manage.py create_api_token ci --show daily)`); what was created goes
to standard error. Only the secret's hash is stored. A token publishes to the
shows named with `--show` (slugs), or to every show with `--all-shows`.
"""

from django.core.management.base import BaseCommand, CommandError

from episodes.catalogue.models import Show
from episodes.publishing.models import ApiToken


class Command(BaseCommand):
    help = "公開 API のトークンを作り、一度だけ表示します（保存するのはハッシュだけです）。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="トークンの名前（どこで使うか）")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument(
            "--show",
            dest="shows",
            nargs="+",
            action="extend",
            metavar="SLUG",
            help="公開できる番組のスラッグ（いくつでも）",
        )
        scope.add_argument(
            "--all-shows", action="store_true", help="まだない番組も含め、どの番組にも公開できるトークンにします"
        )
        parser.add_argument("--dry-run", action="store_true", help="作らずに、何を作るかだけ表示します")

    def handle(self, *args, name, shows, all_shows, dry_run, verbosity, **options):
        name = name.strip()
        if not name:
            raise CommandError("トークンの名前を指定してください。")
        if len(name) > ApiToken._meta.get_field("name").max_length:
            raise CommandError("トークンの名前が長すぎます（100 文字まで）。")
        slugs = list(dict.fromkeys(shows or []))
        found = {show.slug: show for show in Show.objects.filter(slug__in=slugs)}
        if missing := [slug for slug in slugs if slug not in found]:
            raise CommandError(f"その番組はありません: {', '.join(missing)}")
        scope = "すべての番組" if all_shows else "、".join(found[slug].name for slug in slugs)
        if dry_run:
            self.stderr.write(f"トークン「{name}」（{scope}）を作ります（--dry-run のため作っていません）。")
            return
        token, secret = ApiToken.issue(name=name, shows=[found[slug] for slug in slugs], all_shows=all_shows)
        self.stdout.write(secret)
        if verbosity >= 1:
            self.stderr.write(
                f"トークン「{token.name}」（{scope}）を作りました。この値は二度と表示されません。",
                style_func=self.style.SUCCESS,
            )
