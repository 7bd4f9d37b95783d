"""What publishing keeps: the API's tokens and replayable answers, and the importer's records."""

from episodes.publishing.models.api import ApiToken, IdempotencyRecord
from episodes.publishing.models.imports import ImportRecord

__all__ = ["ApiToken", "IdempotencyRecord", "ImportRecord"]
