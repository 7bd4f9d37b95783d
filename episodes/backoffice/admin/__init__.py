"""The editors' admin, in Japanese: one module per area of work."""

from django.contrib import admin

from episodes.backoffice.admin import api_tokens, content, downloads, episodes, jobs, letters  # noqa: F401

# The first page is the station at a glance (templates/admin/dashboard.html), above the usual list.
admin.site.index_template = "admin/dashboard.html"
