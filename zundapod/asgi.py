"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zundapod.settings")
# A web process: settings give its database connections a statement timeout (never the worker's).
# Set only while settings load, so no subprocess (a command, the tests) inherits it.
os.environ["ZUNDAPOD_WEB_PROCESS"] = "1"

django_application = get_asgi_application()
os.environ.pop("ZUNDAPOD_WEB_PROCESS", None)

from episodes.serving import limits, ready_asgi  # noqa: E402

# Ready pages and feeds are answered before Django's request cycle (see episodes/serving/ready_asgi.py);
# oversized bodies are refused before Django reads them into a temporary file (episodes/serving/limits.py).
application = limits.wrap(ready_asgi.wrap(django_application))
