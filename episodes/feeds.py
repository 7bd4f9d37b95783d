"""Podcast feeds (RSS 2.0 with the iTunes and Podcasting 2.0 namespaces)."""

from django.http import Http404


class StationFeed:
    def __call__(self, request):
        raise Http404


class ShowFeed:
    def __call__(self, request, slug):
        raise Http404


def chapters(request, number):
    raise Http404


def transcript_text(request, number):
    raise Http404


def transcript_vtt(request, number):
    raise Http404
