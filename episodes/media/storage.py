"""The embedded default's media storage: a write the disk cannot finish leaves no partial file.

Django's FileSystemStorage creates the file, then writes it; when the disk
fills up midway the partial (often empty) file stays, named like a real
upload (issue 24, finding 12: a 0-byte orphan in audio/). Here a failed save
removes the file it created, and the emptied upload folder, and raises the
error on for the caller to explain (pending_uploads.NO_ROOM_MESSAGE).
"""

import os

from django.core.files.storage import FileSystemStorage


class MediaFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that cleans up after a save that failed (a full disk, a quota)."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except OSError:
            if not existed and os.path.lexists(path):
                os.remove(path)  # created by this save: the partial copy
                folder = os.path.dirname(path)
                if os.path.isdir(folder) and not os.listdir(folder):
                    os.rmdir(folder)
            raise
