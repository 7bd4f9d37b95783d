"""Every text a model stores is cleaned on save, whoever saves it (admin, importer, API, commands, letters)."""

from django.db import models

from episodes.catalogue.text import clean_data, clean_text


def clean_text_fields(instance: models.Model) -> None:
    """Drop the characters XML 1.0 cannot carry from every text and JSON field of the instance."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                setattr(instance, field.attname, clean_text(value))
        elif isinstance(field, models.JSONField):
            setattr(instance, field.attname, clean_data(getattr(instance, field.attname)))


class CleanTextModel(models.Model):
    """Base of every model with text: its fields are cleaned right before each save."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        clean_text_fields(self)
        super().save(*args, **kwargs)
