"""The dashboard's job table (templates/includes/job_health.html) from episodes/operations/job_health.py."""

from django import template

from episodes.operations.job_health import job_statuses

register = template.Library()


@register.inclusion_tag("includes/job_health.html")
def job_health():
    """Each background job's last run, duration, result and next run; late or failing ones marked."""
    statuses = job_statuses()
    return {"jobs": statuses, "troubled": [job for job in statuses if not job.healthy]}
