"""Two real workers (`manage.py qcluster`, as two machines run them) on one database: each job runs once per period.

Slow (about 100 s: a worker looks at the schedules every 30 s), so `make test-slow` runs it.
SQLite file, or a PostgreSQL database of its own when the suite runs on PostgreSQL.
"""

import json
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
from django.conf import settings

from episodes.operations.tasks import JOBS
from tests.operations.test_tasks import _manage, _separate_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

RUNS = """
import json
from django_q.models import Task
print(json.dumps([[t.func, t.started.isoformat()] for t in Task.objects.order_by("started")]))
"""


def test_two_workers_run_each_job_once_per_period(tmp_path):
    env, drop = _separate_database(tmp_path)
    workers = []
    try:
        assert _manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
        due = "from django_q.models import Schedule; from django.utils import timezone; "
        due += "now = timezone.now(); Schedule.objects.update(next_run=now); print(now.isoformat())"
        made_due = _manage(env, "shell", code=due)
        assert made_due.returncode == 0
        first_due = datetime.fromisoformat(made_due.stdout.strip().splitlines()[-1])
        for n in range(2):
            with open(tmp_path / f"worker{n}.log", "w") as log:
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "qcluster"],
                        cwd=settings.BASE_DIR,
                        env={**env, "WORKER_PROCESSES": "1"},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        time.sleep(100)  # three scheduler passes of each worker
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)  # the main process only, as systemd's KillMode=mixed
        for worker in workers:
            worker.wait(timeout=60)
        runs = _manage(env, "shell", code=RUNS).stdout.strip().splitlines()[-1]
        drop()
    started: dict[str, list[datetime]] = {}
    for func, at in json.loads(runs):
        started.setdefault(func.rsplit(".", 1)[-1], []).append(datetime.fromisoformat(at))
    # Every job was due once at the start; only the minute jobs come due again within 100 s.
    assert set(started) == set(JOBS)
    minute_jobs = {name for name, job in JOBS.items() if job.every == "minutes" and job.minutes == 1}
    assert "websub_ping" in minute_jobs
    for name, times in started.items():
        if name not in minute_jobs:
            assert len(times) == 1, (name, times)
    # A minute job: one run in each minute since it was first due (a worker looks every 30 s,
    # so a period's run starts within its first 30 s, and two runs never share a period).
    for name in minute_jobs:
        periods = [int((at - first_due).total_seconds() // 60) for at in started[name]]
        assert periods == sorted(set(periods)) and len(periods) >= 2, (name, started[name])
