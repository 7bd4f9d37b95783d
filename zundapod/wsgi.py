"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zundapod.settings")
# A web process: settings give its database connections a statement timeout (never the worker's).
# Set only while settings load, so no subprocess (a command, the tests) inherits it.
os.environ["ZUNDAPOD_WEB_PROCESS"] = "1"

application = get_wsgi_application()
os.environ.pop("ZUNDAPOD_WEB_PROCESS", None)
