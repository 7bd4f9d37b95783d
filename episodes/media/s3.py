"""Media in an S3 bucket: what is not public yet is not readable from the bucket by URL.

Issue 24, finding 12: on S3 pending uploads and a draft's audio, image and
thumbnail were public by URL like everything else. The choice here: such
objects are written with a private ACL; the app reads them with its own
credentials (a pending upload becomes the episode's file that way), and staff
who may see a draft get short-lived presigned URLs
(`AWS_PRIVATE_URL_SECONDS`, 15 minutes). When an episode becomes public its
objects get the bucket's public ACL (`catalogue/stored_files.py`), so published
audio keeps its plain, cacheable URL and pages still make no storage request.

This needs a bucket that honours ACLs (`AWS_DEFAULT_ACL=public-read`) or a
private bucket with signed URLs (`AWS_QUERYSTRING_AUTH`); a bucket-wide
public-read policy makes every object public whatever its ACL (docs/deploy.md).
"""

from django.conf import settings
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from episodes.media.pending_uploads import PENDING_FOLDER

# Objects that follow an episode (its audio, image, renditions, thumbnail) or wait for one (pending).
PRIVATE_PREFIXES = (f"{PENDING_FOLDER}/", "audio/", "images/episode/", "images/thumbnails/")
PRIVATE_ACL = "private"


def follows_an_episode(name: str) -> bool:
    """Stored private until its episode is public (or for ever, for a pending upload)."""
    return clean_name(name).startswith(PRIVATE_PREFIXES)


class S3MediaStorage(S3Storage):
    """S3Storage that stores pending and episode objects private and can sign short-lived URLs for them."""

    def get_object_parameters(self, name):
        parameters = super().get_object_parameters(name)
        if self.default_acl and follows_an_episode(name):
            parameters["ACL"] = PRIVATE_ACL  # ACL-less buckets (policy or signed mode) get no ACL at all
        return parameters

    def private_url(self, name: str) -> str:
        """A presigned URL that expires soon: for staff looking at what is not public yet."""
        return self.connection.meta.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket.name, "Key": self._normalize_name(clean_name(name))},
            ExpiresIn=settings.AWS_PRIVATE_URL_SECONDS,
        )

    def set_public(self, name: str, public: bool) -> None:
        """Give one object the bucket's public ACL, or take it away (ACL buckets only)."""
        if self.default_acl:
            key = self._normalize_name(clean_name(name))
            self.bucket.Object(key).Acl().put(ACL=self.default_acl if public else PRIVATE_ACL)
