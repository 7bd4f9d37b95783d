"""Public pages: thin views over `Episode.objects.published()`, and the letters form."""

import logging
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db import DatabaseError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from episodes.catalogue.bounds import FIRST_YEAR, LAST_YEAR, parse_year
from episodes.catalogue.models import Actor, Episode, Show, Station, moved_show_redirect
from episodes.letters import inbox as letters
from episodes.letters.forms import LetterForm, linked_episode
from episodes.letters.models import Letter
from episodes.serving import outage
from episodes.site import search

logger = logging.getLogger(__name__)


def _page(request, queryset):
    """The page `?page=` names; 404 past the last or for anything but a number, so no address repeats another."""
    paginator = Paginator(queryset, settings.EPISODES_PER_PAGE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("ページが見つかりません。") from None


def _canonical(request, name: str, **kwargs) -> HttpResponsePermanentRedirect | None:
    """A 301 to the address the site links to when a number in the path was written another way (`/episode/0001`)."""
    path = reverse(name, kwargs=kwargs)
    if request.path == path:
        return None
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)


def home(request):
    """The latest episodes of every show."""
    page = _page(request, Episode.objects.published().for_listing())
    shows = Show.objects.public()
    station = Station.existing()
    cover = station.cover_picture.card_src if station else ""
    return render(request, "episodes/home.html", {"page": page, "shows": shows, "station_cover": cover})


def show_list(request):
    """Every show with its artwork, description and feed."""
    published = Episode.objects.published()
    shows = (
        Show.objects.public()
        .prefetch_related("hosts")
        .annotate(count=Count("episodes", filter=Q(episodes__in=published)))
    )
    return render(request, "episodes/show_list.html", {"shows": shows})


def _moved_or_404(request, slug: str, view_name: str) -> HttpResponsePermanentRedirect:
    """A 301 to the show's current address when `slug` is one it had before; else 404."""
    if moved := moved_show_redirect(request, slug=slug, view_name=view_name):
        return moved
    raise Http404("番組が見つかりません。")


def show_detail(request, slug):
    """One show: its description, hosts, feed and public episodes; a former slug answers 301."""
    if (show := Show.objects.public().prefetch_related("hosts").filter(slug=slug).first()) is None:
        return _moved_or_404(request, slug, "episodes:show")
    page = _page(request, show.episodes.published().for_listing())
    return render(request, "episodes/show_detail.html", {"show": show, "page": page})


def subscribe(request):
    """`/subscribe/`: every show's apps and feed URL, and the feed of all shows."""
    return render(request, "episodes/subscribe.html", {"channels": Show.objects.public()})


def show_subscribe(request, slug):
    """`/shows/<slug>/subscribe/`: the apps the show is in and its feed URL with a copy button."""
    if (show := Show.objects.public().filter(slug=slug).first()) is None:
        return _moved_or_404(request, slug, "episodes:show_subscribe")
    return render(request, "episodes/subscribe.html", {"show": show, "channels": [show]})


def actor_detail(request, slug):
    """One voice: its bio, credit line and the public episodes it appears in."""
    actor = get_object_or_404(Actor.objects.public(), slug=slug)
    page = _page(request, Episode.objects.published().filter(appearances__actor=actor).for_listing())
    return render(request, "episodes/actor_detail.html", {"actor": actor, "page": page})


def episode_detail(request, number):
    """The episode page; staff also see drafts and scheduled episodes, marked as such."""
    if moved := _canonical(request, "episodes:episode", number=number):
        return moved
    # Drafts only for staff allowed to read episodes in the admin: being staff alone is not enough.
    can_preview = request.user.has_perm("catalogue.view_episode")
    episodes = Episode.objects.all() if can_preview else Episode.objects.published()
    credited = Prefetch(
        "aired_letters",
        queryset=Letter.objects.credited_on_air().only("radio_name", "aired_in"),
        to_attr="credited_letters",
    )
    episode = get_object_or_404(episodes.for_page().prefetch_related(credited), number=number)
    return render(request, "episodes/episode_detail.html", {"episode": episode, "show": episode.show})


def search_view(request):
    """`/search/?q=…`: results grouped by episode, best first, with filters."""
    asked = request.GET.get("q", "")
    query = search.clean_query(asked)
    show = Show.objects.public().filter(slug=request.GET.get("show", "")).first()
    actor = Actor.objects.public().filter(slug=request.GET.get("actor", "")).first()
    year = parse_year(request.GET.get("year"))
    results = search.search(query, show=show, actor=actor, year=year)
    page = search.results_page(results, request.GET.get("page"), settings.EPISODES_PER_PAGE)
    context = {
        "query": query,
        # clean_query keeps the first MAX_QUERY_CHARS characters: the listener is told, not left guessing.
        "cut_at": search.MAX_QUERY_CHARS if len(asked.strip()) > len(query) == search.MAX_QUERY_CHARS else 0,
        "page": page,
        "hits": search.explain(page.object_list, query),
        "shows": Show.objects.public(),
        "actors": Actor.objects.public(),
        "years": Episode.objects.published().year_range(),
        "selected": {"show": show, "actor": actor, "year": year},
        "filters": urlencode(
            {
                k: v
                for k, v in {
                    "q": query,
                    "show": show and show.slug,
                    "actor": actor and actor.slug,
                    "year": year or "",
                }.items()
                if v
            }
        ),
    }
    return render(request, "episodes/search.html", context)


def archive(request):
    """`/archive/`: every month with its number of episodes, and the shows and voices."""
    published = Episode.objects.published()
    context = {
        "years": published.counts_by_month(),
        "shows": Show.objects.public().annotate(count=Count("episodes", filter=Q(episodes__in=published))),
        "actors": Actor.objects.public().annotate(
            count=Count("appearances", filter=Q(appearances__episode__in=published))
        ),
    }
    return render(request, "episodes/archive.html", context)


def archive_month(request, year, month):
    """`/archive/<year>/<month>/`: the public episodes of one month (JST)."""
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        raise Http404("年月が正しくありません。")
    if moved := _canonical(request, "episodes:archive_month", year=year, month=month):
        return moved
    start = datetime(year, month, 1, tzinfo=timezone.get_default_timezone())
    episodes = Episode.objects.published().in_month(year, month).for_listing()
    return render(request, "episodes/archive_month.html", {"page": _page(request, episodes), "month": start})


def episode_slash_redirect(request, number):
    """`/episode/<n>/` → `/episode/<n>`, the old site's permalink form."""
    return redirect("episodes:episode", number=number, permanent=True)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def letter_form(request):
    """The listeners' mail-in form: validate, hold back floods, store once, then thank (POST/redirect/GET).

    A submission with errors is shown again and does not count against the
    sender's rate limit; only a letter that would be stored takes a slot.
    """
    if request.method != "POST":
        form = LetterForm(episode=linked_episode(request.GET.get("episode")))
        return render(request, "letters/form.html", {"form": form})

    try:
        return _receive_letter(request)
    except (DatabaseError, *outage.CACHE_ERRORS):
        # The letter could not be stored (the database is out, or its disk is full): the sender
        # gets it back with a clear message, nothing is lost.
        logger.warning("a letter could not be stored; handed back to its sender", exc_info=True)
        return _letter_not_stored(request)


def _receive_letter(request):
    form = LetterForm(request.POST)
    sender = letters.client_hash_for(request)
    if form.caught_by_honeypot:
        letters.record_spam(sender=sender)
        return redirect("episodes:letters_thanks")
    if not form.is_valid():
        return render(request, "letters/form.html", {"form": form})
    try:
        letters.submit_letter(sender=sender, **form.letter_fields())
    except letters.RateLimited as limited:
        context = {"form": form, "wait": letters.format_wait(limited.retry_after)}
        response = render(request, "letters/form.html", context, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    thanks = reverse("episodes:letters_thanks")
    if form.referred_episode is not None:
        thanks += "?" + urlencode({"episode": form.referred_episode.number})
    return redirect(thanks)


def _letter_not_stored(request) -> HttpResponse:
    """503 with everything the sender wrote in a form to send again, rendered without the database."""
    fields = ("radio_name", "message", "show", "episode", "email", "consent_to_air")
    context = {name: request.POST.get(name, "") for name in fields}
    context["csrf_token"] = get_token(request)
    context["retry_after"] = outage.RETRY_AFTER_SECONDS
    response = HttpResponse(render_to_string("letters/not_stored.html", context), status=503)
    response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    return response


def _from_our_origin(request) -> bool:
    """Whether the browser says the POST came from one of our pages (Origin, else Referer)."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = urlsplit(request.headers.get("Referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else ""
    ours = {request.build_absolute_uri("/").rstrip("/"), settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS}
    return origin in ours


def csrf_failure(request, reason=""):
    """A listener whose form had expired (or whose cookie was blocked) keeps what they wrote.

    Django's own page would say 403 and lose the letter. On the letters form we
    show the form again, filled in, with a fresh token; nothing is stored
    until they press send again. Elsewhere (the admin) Django's page stands.
    """
    if request.path == reverse("episodes:letters") and request.method == "POST" and _from_our_origin(request):
        # Another site can post here too: what it sent is shown only to a form our own pages posted,
        # and the address and the consent are never put back (a victim's autofill must not be aimed).
        data = request.POST.copy()
        for name in ("email", "consent_to_air"):
            data.pop(name, None)
        form = LetterForm(data)
        form.is_valid()  # fills in what can be shown; the letter is not submitted
        context = {"form": form, "expired": True}
        return render(request, "letters/form.html", context, status=403)
    return django_csrf_failure(request, reason)


@require_safe
def letter_thanks(request):
    """Thanks after a letter, with the way back to the episode it was about."""
    return render(request, "letters/thanks.html", {"episode": linked_episode(request.GET.get("episode"))})


def legacy_index(request):
    """The old site's `/index.html`."""
    return redirect("episodes:home", permanent=True)


def legacy_episode_html(request, number):
    """The old site's `/episode/<n>.html`."""
    return redirect("episodes:episode", number=number, permanent=True)
