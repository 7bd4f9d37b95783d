"""Where uploads are stored: a fresh folder each time, so a replaced file gets a new URL."""

from episodes.media import images


def audio_upload_to(instance, filename: str) -> str:
    """Podcast apps cache by URL: replaced audio must never reuse one."""
    return f"audio/{images.random_folder()}/{filename}"


def image_upload_to(instance, filename: str) -> str:
    """Images keep their name under a fresh folder, like audio."""
    return f"images/{instance._meta.model_name}/{images.random_folder()}/{filename}"


def thumbnail_upload_to(instance, filename: str) -> str:
    return f"images/thumbnails/{images.random_folder()}/{filename}"
