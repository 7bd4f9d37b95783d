"""Public pages: thin views over `Episode.objects.published()`."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from .models import Actor, Episode, Show


def _page(request, queryset):
    paginator = Paginator(queryset, settings.EPISODES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def home(request):
    """The latest episodes of every show."""
    page = _page(request, Episode.objects.published().for_listing())
    shows = Show.objects.all()
    return render(request, "episodes/home.html", {"page": page, "shows": shows})


def show_detail(request, slug):
    show = get_object_or_404(Show.objects.prefetch_related("hosts"), slug=slug)
    page = _page(request, show.episodes.published().for_listing())
    return render(request, "episodes/show_detail.html", {"show": show, "page": page})


def actor_detail(request, slug):
    actor = get_object_or_404(Actor, slug=slug)
    page = _page(request, Episode.objects.published().filter(appearances__actor=actor).for_listing())
    return render(request, "episodes/actor_detail.html", {"actor": actor, "page": page})


def episode_detail(request, number):
    """The episode page; staff also see drafts and scheduled episodes, marked as such."""
    episodes = Episode.objects.all() if request.user.is_staff else Episode.objects.published()
    episode = get_object_or_404(episodes.for_page(), number=number)
    return render(request, "episodes/episode_detail.html", {"episode": episode, "show": episode.show})


def episode_slash_redirect(request, number):
    """`/episode/<n>/` → `/episode/<n>`, the old site's permalink form."""
    return redirect("episodes:episode", number=number, permanent=True)


def letter_form(request):
    """Placeholder until the letters form lands."""
    raise Http404


def letter_thanks(request):
    """Placeholder until the letters form lands."""
    raise Http404
