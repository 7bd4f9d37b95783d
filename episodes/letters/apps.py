"""Listener letters: the one thing anonymous visitors can write."""

from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "episodes.letters"
    label = "letters"
    verbose_name = "お便り"
