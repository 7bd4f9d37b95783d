"""The admin's first page asks for the station's overview (episodes/dashboard.py)."""

from django import template

from ..dashboard import station_dashboard as build_dashboard

register = template.Library()


@register.simple_tag
def station_dashboard():
    """Everything the dashboard shows, built once per page view."""
    return build_dashboard()
