"""The admin's first page asks for the station's overview (episodes/backoffice/dashboard.py)."""

from django import template

from episodes.backoffice.dashboard import station_dashboard as build_dashboard

register = template.Library()


@register.simple_tag
def station_dashboard(user):
    """Everything the dashboard shows to `user`, built once per page view (letters only with view_letter)."""
    return build_dashboard(letters=user.has_perm("letters.view_letter"))
