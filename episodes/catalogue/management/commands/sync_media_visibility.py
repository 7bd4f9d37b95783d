"""Open the bucket objects of episodes that became public, close those of unpublished ones (catalogue/stored_files.py)."""

from django.core.management.base import BaseCommand

from episodes.catalogue import stored_files


class Command(BaseCommand):
    help = "S3 のメディアで、公開になったエピソードのファイルを公開し、非公開になったものを非公開にします。"

    def handle(self, *args, verbosity, **options):
        changed = stored_files.sync()
        if verbosity:
            self.stdout.write(f"公開範囲を直したエピソード: {changed} 件")
