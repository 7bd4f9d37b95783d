"""One counter that moves whenever anything a page or feed shows changes.

Feeds key their ETag and cache on it, so every process (several gunicorn
workers, several servers) sees a change on its next request, whatever cache
backend runs. Saves, deletes and bulk queryset writes all move it; no signal
is needed except for many-to-many changes (see `EpisodesConfig.ready`).

It moves once per transaction, after the commit: importing a post that saves
an episode, its cast and ten articles is one change, not twelve, and no
reader can see the new revision before the content it stands for.
"""

from django.db import connections, models, transaction
from django.db.models import F
from django.utils import timezone

from episodes.catalogue.models.text import CleanTextModel, clean_text_fields
from episodes.catalogue.text import clean_data

_current_sql: tuple | None = None  # (vendor, sql, params, converters), compiled on first use


class SiteRevision(models.Model):
    """A single row: the content revision and when it last moved."""

    # Moves made by this process: a reader that trusts the revision it read a
    # moment ago (ready_bytes.recent_state) sees its own process's edits at once.
    moves_here = 0

    value = models.PositiveBigIntegerField("リビジョン", default=0)
    changed_at = models.DateTimeField("最終変更", default=timezone.now)
    # What `websub_ping` last told the hub (its fingerprint of the feeds), so a run announces only changes.
    hub_announced = models.CharField("WebSub ハブに最後に知らせた状態", max_length=200, blank=True)

    class Meta:
        verbose_name = "サイトのリビジョン"
        verbose_name_plural = "サイトのリビジョン"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def bump(cls) -> None:
        """Move the revision forward once for the current transaction (now, outside one)."""
        connection = transaction.get_connection()
        own = [i for i, block in enumerate(connection.atomic_blocks) if not getattr(block, "_from_testcase", False)]
        if not own:
            cls._move()
        elif own[0] == 0:
            if not any(entry[1] == cls._move for entry in connection.run_on_commit):
                transaction.on_commit(cls._move)
        else:
            # Inside a test's transaction, which never commits: the first block
            # of our own is "the transaction"; its savepoint id tells it apart.
            savepoint = connection.savepoint_ids[own[0] - 1]
            if getattr(connection, "_zundapod_bumped_in", None) != savepoint or savepoint is None:
                connection._zundapod_bumped_in = savepoint
                cls._move()

    @classmethod
    def _move(cls) -> None:
        """One UPDATE; the row is created on first use."""
        if not cls.objects.filter(pk=1).update(value=F("value") + 1, changed_at=timezone.now()):
            cls.objects.get_or_create(pk=1, defaults={"value": 1})
        SiteRevision.moves_here += 1

    @classmethod
    def current(cls) -> tuple[int, object]:
        """(value, changed_at) of the current revision: the one read every cache key is made from.

        Every listener's request may ask, so the SQL is compiled once per process: compiling
        even this query through the ORM took 1.5 ms where running it takes 0.02 ms.
        """
        global _current_sql
        connection = connections[cls.objects.db]
        if _current_sql is None or _current_sql[0] != connection.vendor:
            query = cls.objects.filter(pk=1).values_list("value", "changed_at").query
            # SQLite hands back text; the ORM would convert it as the backend does.
            converters = connection.ops.get_db_converters(cls._meta.get_field("changed_at").get_col(cls._meta.db_table))
            _current_sql = (connection.vendor, *query.sql_with_params(), converters)
        _, sql, params, converters = _current_sql
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return 0, None
        value, changed_at = row
        for converter in converters:
            changed_at = converter(changed_at, None, connection)
        return value, changed_at

    @classmethod
    def hub_announced_state(cls) -> str:
        """What `websub_ping` last told the hub (its fingerprint of the feeds)."""
        return cls.objects.filter(pk=1).values_list("hub_announced", flat=True).first() or ""

    @classmethod
    def remember_hub_announced(cls, fingerprint: str) -> None:
        """A plain UPDATE on the revision row: remembering must not move the revision itself."""
        if not cls.objects.filter(pk=1).update(hub_announced=fingerprint):
            cls.objects.create(pk=1, hub_announced=fingerprint)


class RevisionedQuerySet(models.QuerySet):
    """Bulk writes (admin actions, imports) move the revision too."""

    def update(self, **kwargs):
        kwargs = {name: clean_data(value) for name, value in kwargs.items()}
        rows = super().update(**kwargs)
        if rows:
            SiteRevision.bump()
        return rows

    update.alters_data = True

    def delete(self):
        result = super().delete()
        SiteRevision.bump()
        return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            clean_text_fields(obj)
        created = super().bulk_create(objs, *args, **kwargs)
        SiteRevision.bump()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            clean_text_fields(obj)
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        SiteRevision.bump()
        return rows


class RevisionedModel(CleanTextModel):
    """Base for everything listeners see: saving or deleting moves the revision."""

    objects = RevisionedQuerySet.as_manager()

    class Meta(CleanTextModel.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        SiteRevision.bump()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        SiteRevision.bump()
        return result
