"""Demo content for `make run` and development; a production site leaves this app out."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "episodes.demo"
    label = "demo"
    verbose_name = "デモ"

    def ready(self):
        from episodes.demo.content import make_room_for_a_real_archive
        from episodes.publishing.importers import before_archive_import

        before_archive_import.connect(make_room_for_a_real_archive, dispatch_uid="demo_makes_room_for_an_archive")
