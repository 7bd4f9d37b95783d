"""Bringing existing content in: the old Jekyll archive and the daily pipeline's posts."""

from django.dispatch import Signal

# Sent by `import_jekyll` before it writes (arguments: site_dir, dry_run). A receiver that has
# something to clear away first (the demo app, its demo station) does so, or on a dry run only
# says it would, and returns the line to print; None when it has nothing to say.
before_archive_import = Signal()
