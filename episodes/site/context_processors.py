"""Values every public template needs."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject, lazy


def _station_about() -> str:
    """The station's description for the footer (the old site's: what it is, who hosts which weekday)."""
    from episodes.catalogue.models import Station

    station = Station.existing()  # the row the page's images already read, once per request
    if station is None:
        return ""
    about = station.long_description or station.description
    return "" if about == station.name else about


def _weekday_hosts() -> list[dict]:
    """The schedule as the old footer said it: 月 つむぎ, 火水木 ずんだもん, 金 お嬢様ずんだもん."""
    from episodes.catalogue.models import AiringSlot

    groups: list[dict] = []
    for slot in AiringSlot.objects.select_related("show", "host"):
        name = slot.host.name if slot.host else slot.show.name
        day = slot.get_weekday_display()[0]
        if groups and groups[-1]["name"] == name and groups[-1]["last"] == slot.weekday - 1:
            groups[-1]["days"] += day
        else:
            groups.append({"days": day, "name": name, "show": slot.show.name})
        groups[-1]["last"] = slot.weekday
    return groups


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_HASHTAG": settings.SITE_HASHTAG,
        "SITE_X_ACCOUNT": settings.SITE_X_ACCOUNT,
        # One query, only on pages that print it; never creates the station row.
        "STATION_ABOUT": lazy(_station_about, str)(),
        "WEEKDAY_HOSTS": SimpleLazyObject(_weekday_hosts),
    }
