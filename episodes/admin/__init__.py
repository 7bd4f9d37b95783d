"""The editors' admin, in Japanese: one module per area of work."""

from . import api, content, letters  # noqa: F401
