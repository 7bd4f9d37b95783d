"""Migrations are history: they must not depend on code that refactoring changes."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import episodes
from episodes.models import ImportRecord

MIGRATIONS = Path(episodes.__file__).parent / "migrations"
# Django writes field callables (upload_to, validators) as references to their
# modules; those names are part of the schema. Anything else would be live code.
FIELD_CALLABLE_MODULES = {"episodes.bounds", "episodes.images", "episodes.models.uploads"}


def migration_files():
    return sorted(path for path in MIGRATIONS.glob("[0-9]*.py"))


class TestMigrations:
    def test_there_are_migrations_to_check(self):
        assert migration_files()

    def test_no_migration_imports_from_the_app(self):
        for path in migration_files():
            text = path.read_text()
            assert not re.search(r"^\s*from episodes\b", text, re.M), path.name
            imported = set(re.findall(r"^\s*import (episodes[\w.]*)", text, re.M))
            assert imported <= FIELD_CALLABLE_MODULES, (path.name, imported - FIELD_CALLABLE_MODULES)

    def test_models_and_migrations_agree(self, db):
        out = StringIO()
        call_command("makemigrations", "episodes", "--check", "--dry-run", stdout=out)
        assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_import_bookkeeping_moves_to_import_records_with_its_values():
    """0005 carries source_hash, written_hash and audio_sha256 from Episode into ImportRecord."""
    executor = MigrationExecutor(connection)
    executor.migrate([("episodes", "0004_airing_slots")])
    old = executor.loader.project_state([("episodes", "0004_airing_slots")]).apps
    show = old.get_model("episodes", "Show").objects.create(name="番組", slug="show", description="d", author="a")
    Episode = old.get_model("episodes", "Episode")
    common = {"show": show, "title": "t", "status": "draft", "published_at": timezone.now()}
    imported = Episode.objects.create(
        number=1, guid="g1", source_hash="s" * 64, written_hash="w" * 64, audio_sha256="a" * 64, **common
    )
    Episode.objects.create(number=2, guid="g2", **common)  # made in the CMS: no record

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    emit_post_migrate_signal(0, False, connection.alias)  # the search triggers, as `migrate` puts them back

    record = ImportRecord.objects.get()
    assert record.episode_id == imported.pk
    assert (record.source_hash, record.written_hash, record.audio_sha256) == ("s" * 64, "w" * 64, "a" * 64)
