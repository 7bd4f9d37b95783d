"""Bringing existing content in: the old Jekyll archive and the daily pipeline's posts."""
