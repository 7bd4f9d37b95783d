"""The worker's tables stay out of the Japanese admin: the dashboard's job table says what staff need.

django-q2 registers English pages for its queue, schedules and results; the
dashboard (templates/includes/job_health.html) shows each job's last run,
result and next run in Japanese, and the worker's log holds each failure's traceback.
"""

from django.contrib import admin
from django_q.models import Failure, OrmQ, Schedule, Success

for model in (Schedule, Success, Failure, OrmQ):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
