"""The publishing API for the production pipeline: plain Django views, JSON in and out.

POST /api/v1/episodes takes the pipeline's post with its MP3, script and
timeline as multipart/form-data and publishes it through the same service as
`manage.py publish_episode` (`episodes.publishing.publish`): the post is parsed once
where it was streamed to, its files handed over as they lie, and the temporary
files are removed with the request whatever happened.
GET /api/v1/episodes/<number> and GET /api/v1/health let the pipeline check
its work and its token; /api/v1/openapi.json describes all of it.

Every request except the description carries `Authorization: Bearer <token>`
(`episodes.publishing.models.ApiToken`). These views never read a session cookie, which
is why they, and nothing else on the site, are exempt from CSRF: a browser
does not attach a bearer token to a forged cross-site request by itself.

Uploads stream to temporary files (never memory), are hashed as they arrive
(to recognise a retry under the same Idempotency-Key) and stop at the
`MAX_UPLOAD_BYTES` setting.

The package is split by concern: `errors` (the answers and the error table),
`uploads` (receiving the files and reading the post), `views` (the frame, the
Idempotency-Key and the four views). Only what `api.urls` and the tests use is
re-exported here; patch a view's collaborators on `views`, where it looks them up.
"""

from episodes.publishing.api.errors import ERRORS
from episodes.publishing.api.uploads import max_upload_bytes
from episodes.publishing.api.views import OPENAPI_PATH, episode, health, openapi, publish

__all__ = [
    "ERRORS",
    "OPENAPI_PATH",
    "episode",
    "health",
    "max_upload_bytes",
    "openapi",
    "publish",
]
