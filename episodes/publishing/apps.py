"""The one road that writes an episode, and its callers: the API, the Jekyll importer, the cutover check."""

from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "episodes.publishing"
    label = "publishing"
    verbose_name = "公開と取り込み"

    def ready(self):
        from episodes.publishing.api import body_guard
        from episodes.serving import limits

        limits.guard(
            prefix="/api/",
            public_paths=body_guard.PUBLIC_API_PATHS,
            refusal=body_guard.refusal,
            may_be_valid=body_guard.may_be_valid,
            too_large=body_guard.too_large,
        )
