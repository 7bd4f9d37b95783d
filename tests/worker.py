"""Run what the background worker would run, in the test's own process and transaction.

django-q2's own worker loop closes database connections between tasks (it runs in
a process of its own); inside a test transaction that would lose the test's data.
This takes the queued tasks from the real broker, runs each function and records
the result through django-q2's `save_task`, as the cluster's monitor does.
"""

import pydoc
import traceback

from django.utils import timezone
from django_q.brokers import get_broker
from django_q.monitor import save_task
from django_q.signing import SignedPackage


def run_queued() -> list[dict]:
    """Run every queued task once; returns the finished task packages (func, result, success)."""
    from django_q.models import OrmQ

    broker, done = get_broker(), []
    # dequeue() sleeps when the queue is empty: ask first.
    while OrmQ.objects.filter(lock__lt=timezone.now()).exists():
        for ack_id, payload in broker.dequeue() or []:
            task = SignedPackage.loads(payload)
            task["started"] = timezone.now()
            func = task["func"] if callable(task["func"]) else pydoc.locate(task["func"])
            try:
                task["result"], task["success"] = func(*task["args"], **task["kwargs"]), True
            except Exception as exc:  # recorded as a failure, as the worker does
                task["result"], task["success"] = f"{exc} : {traceback.format_exc()}", False
            task["stopped"] = timezone.now()
            task["sync"] = True  # save_task must keep the test's connection open
            save_task(task, broker)
            broker.acknowledge(ack_id)
            done.append(task)
    return done


def queued_funcs() -> list[str]:
    """The functions waiting in the queue, oldest first."""
    from django_q.models import OrmQ

    return [item.func() for item in OrmQ.objects.order_by("id")]
