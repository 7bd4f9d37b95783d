#!/bin/sh
# The worker under honcho (`make run`). honcho stops a process by signalling its whole process
# group, and django-q2's cluster hangs when its child processes get SIGTERM before its main
# process does. So the cluster runs in a session of its own and only its main process is told
# to stop, as systemd's KillMode=mixed does in production (deploy/zundapod-worker.service).
setsid .venv/bin/python manage.py qcluster &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
# The first wait returns when the trap fires; the second waits for the cluster to finish.
wait "$pid"
wait "$pid"
