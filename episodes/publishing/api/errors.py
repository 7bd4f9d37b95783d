"""How the publishing API answers: JSON bodies, its one table of error codes, an episode's JSON.

Kept apart from the views so the answer's shape is defined once (the OpenAPI
document and its test check the ERRORS table against each other).
"""

from django.http import JsonResponse
from django.utils import timezone

from episodes.catalogue.links import absolute_url
from episodes.catalogue.models import Episode
from episodes.publishing.publish import Outcome


def json_response(data: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, headers=headers, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# Every error the API answers: code -> (status, Japanese, English); `{name}` comes from the details.
ERRORS = {
    "multipart_required": (400, "multipart/form-data で送ってください。", "Send multipart/form-data."),
    "multipart_invalid": (400, "multipart の本文を読めません。", "The multipart body is malformed."),
    "field_unknown": (400, "知らない項目があります: {field}", "Unknown fields: {field}"),
    "field_repeated": (400, "2回以上ある項目があります: {field}", "Fields sent more than once: {field}"),
    "field_invalid": (400, "{field} の値 {value!r} を読めません（{expected}）。", "{field} cannot be read: {value!r}."),
    "idempotency_key_invalid": (
        400,
        "Idempotency-Key は 255 文字までの ASCII の英数字と記号にしてください。",
        "Idempotency-Key must be 1-255 visible ASCII characters.",
    ),
    "post_missing": (400, "投稿ファイル（post）がありません。", "The post file (field `post`) is missing."),
    "post_invalid": (400, "投稿を読めません。", "The post cannot be published: see file, line and message_ja."),
    "audio_missing": (400, "音声ファイル（audio）がありません。", "The MP3 (field `audio`) is missing."),
    "audio_not_expected": (
        400,
        "投稿の音声は外部の URL です。MP3 は送らないでください。",
        "The post's audio is an external URL: do not upload an MP3.",
    ),
    "script_invalid": (400, "台本（script）を UTF-8 として読めません。", "The script is not UTF-8."),
    "show_unknown": (
        400,
        "投稿の番組を決められません（タイトルを「<番組名> podcast YYYYMMDD」にしてください）。",
        "The post's show cannot be told from its title (`<show> podcast YYYYMMDD`).",
    ),
    "validation_failed": (
        400,
        "投稿の内容がエピソードの規則に合いません。",
        "The post breaks the episode's rules: see fields.",
    ),
    "token_missing": (
        401,
        "Authorization: Bearer <トークン> が必要です。",
        "Authorization: Bearer <token> is required.",
    ),
    "token_invalid": (401, "トークンが正しくありません。", "The token is not valid."),
    "token_revoked": (401, "このトークンは無効にされています。", "This token has been revoked."),
    "show_not_allowed": (
        403,
        "このトークンでは番組「{show}」を扱えません。",
        "This token may not use the show {show!r}.",
    ),
    "episode_not_found": (404, "番号 {number} のエピソードはありません。", "There is no episode {number}."),
    "method_not_allowed": (405, "{method} は使えません。", "{method} is not allowed here."),
    "content_conflict": (
        409,
        "番号 {number} のエピソードは別の内容ですでにあります（置き換えるなら overwrite=true）。",
        "Episode {number} already exists with different content (send overwrite=true to replace it).",
    ),
    "idempotency_key_reused": (
        409,
        "この Idempotency-Key は別の内容のリクエストで使われています。",
        "This Idempotency-Key was used for a request with different content.",
    ),
    "request_in_progress": (
        409,
        "同じ Idempotency-Key のリクエストを処理中です。少し待ってから再送してください。",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
    "length_required": (
        411,
        "Content-Length が必要です（chunked 転送には対応していません）。",
        "Content-Length is required (chunked uploads are not supported).",
    ),
    "upload_too_large": (
        413,
        "アップロードが上限（{max_upload_bytes} バイト）を超えています。",
        "The upload is over the limit of {max_upload_bytes} bytes.",
    ),
    "audio_unreadable": (
        415,
        "MP3 または M4A の音声として読めません。",
        "The audio is not an MP3 or M4A file mutagen can read.",
    ),
    "storage_full": (
        507,
        "サーバーの保存領域がいっぱいのため、保存できませんでした。何も保存していません。空きができてから再送してください。",
        "The server's storage is full: nothing was stored. Retry once there is room.",
    ),
    "internal_error": (500, "サーバーでエラーが起きました。", "The server failed."),
}


class ApiError(Exception):
    """An error answer: a status, a machine-readable code, and what went wrong in Japanese and English."""

    def __init__(self, code: str, *, message_ja: str = "", headers: dict | None = None, **details):
        super().__init__(code)
        self.status, message, english = ERRORS[code]
        self.code, self.headers, self.details = code, headers or {}, details
        self.message_ja, self.message_en = message_ja or message.format(**details), english.format(**details)
        if self.status == 401:
            self.headers["WWW-Authenticate"] = 'Bearer realm="zundapod"' + (
                "" if code == "token_missing" else ', error="invalid_token"'
            )

    def response(self) -> JsonResponse:
        body = {"code": self.code, "message_ja": self.message_ja, "message_en": self.message_en, **self.details}
        return json_response(body, self.status, self.headers)


def episode_json(episode: Episode, outcome: Outcome | None = None) -> dict:
    """What the API says about an episode; a publish adds what happened and its warnings."""
    state = episode.publication
    warnings = [{"code": code, "message": message} for code, message in (outcome.warnings if outcome else [])]
    if episode.feed_problem:
        warnings.append({"code": "not_in_feed", "message": episode.feed_problem})
    articles = list(episode.articles.all())
    data = {
        "number": episode.number,
        "title": episode.title,
        "show": {"slug": episode.show.slug, "name": episode.show.name},
        "url": absolute_url(episode.get_absolute_url()),
        "guid": episode.feed_guid,
        "status": state,
        "published_at": timezone.localtime(episode.published_at).isoformat(),
        "audio": {
            "url": absolute_url(episode.audio_src) or None,
            "size": episode.audio_size,
            "duration": episode.audio_duration,
            "mime_type": episode.audio_mime_type or None,
        },
        "articles": len(articles),
        "chapters": sum(article.start_seconds is not None for article in articles),
        "transcript": bool(episode.transcript),
        "warnings": warnings,
    }
    if outcome is not None:
        data["result"] = outcome.status
    return data
