"""Migrations are history: they must not depend on code that refactoring changes."""

import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

import episodes

APPS = Path(episodes.__file__).parent
# Django writes field callables (upload_to, validators) as references to their
# modules; those names are part of the schema. Anything else would be live code.
FIELD_CALLABLE_MODULES = {"episodes.catalogue.bounds", "episodes.media.images", "episodes.catalogue.models.uploads"}


def migration_files():
    return sorted(APPS.glob("*/migrations/[0-9]*.py"))


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
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
        assert "No changes detected" in out.getvalue()
