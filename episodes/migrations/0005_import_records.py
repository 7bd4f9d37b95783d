# The importer's bookkeeping moves off Episode into ImportRecord (its values carried
# over), and Episode gains audio_problem: why its audio's metadata is unknown.

import django.db.models.deletion
from django.db import migrations, models


def carry_import_fields(apps, schema_editor):
    """One record per imported episode, holding what the episode carried; its source file is not known."""
    Episode = apps.get_model("episodes", "Episode")
    ImportRecord = apps.get_model("episodes", "ImportRecord")
    imported = Episode.objects.exclude(source_hash="", written_hash="", audio_sha256="")
    ImportRecord.objects.bulk_create(
        ImportRecord(
            episode_id=pk, source="", source_hash=source_hash, written_hash=written_hash, audio_sha256=audio_sha256
        )
        for pk, source_hash, written_hash, audio_sha256 in imported.values_list(
            "pk", "source_hash", "written_hash", "audio_sha256"
        ).iterator()
    )


def restore_import_fields(apps, schema_editor):
    Episode = apps.get_model("episodes", "Episode")
    ImportRecord = apps.get_model("episodes", "ImportRecord")
    for record in ImportRecord.objects.order_by("imported_at", "pk").iterator():
        Episode.objects.filter(pk=record.episode_id).update(
            source_hash=record.source_hash, written_hash=record.written_hash, audio_sha256=record.audio_sha256
        )


class Migration(migrations.Migration):

    dependencies = [
        ('episodes', '0004_airing_slots'),
    ]

    operations = [
        migrations.AddField(
            model_name='episode',
            name='audio_problem',
            field=models.CharField(blank=True, editable=False, max_length=500, verbose_name='音声を読み取れない理由'),
        ),
        migrations.CreateModel(
            name='ImportRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(blank=True, max_length=255, verbose_name='取り込み元のファイル')),
                ('source_hash', models.CharField(blank=True, max_length=64, verbose_name='取り込み元のハッシュ')),
                ('written_hash', models.CharField(blank=True, max_length=64, verbose_name='取り込み時の内容のハッシュ')),
                ('audio_sha256', models.CharField(blank=True, max_length=64, verbose_name='音声のSHA-256')),
                ('imported_at', models.DateTimeField(auto_now=True, verbose_name='取り込み日時')),
                ('episode', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_records', to='episodes.episode', verbose_name='エピソード')),
            ],
            options={
                'verbose_name': '取り込みの記録',
                'verbose_name_plural': '取り込みの記録',
                'constraints': [models.UniqueConstraint(fields=('episode', 'source'), name='import_record_one_per_source')],
            },
        ),
        migrations.RunPython(carry_import_fields, restore_import_fields),
        migrations.RemoveField(
            model_name='episode',
            name='audio_sha256',
        ),
        migrations.RemoveField(
            model_name='episode',
            name='source_hash',
        ),
        migrations.RemoveField(
            model_name='episode',
            name='written_hash',
        ),
    ]
