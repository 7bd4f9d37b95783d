"""Django's PostgreSQL backend, with a pool that gives up at once on a server that refuses connections.

A request waits up to DB_POOL_TIMEOUT for a pooled connection, and should:
under a burst every connection is busy and one comes back in a moment. But
with the server stopped no connection ever comes back, and each request
waited the whole timeout before failing. Here the pool notes every connect
that fails or succeeds (outage.database), and a request waiting for a
connection gives up within a quarter of a second once connecting has
failed, so the 503 page comes in well under a second instead of after ten.
"""

import time

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout

from episodes.serving import outage

# How often a request waiting for a connection looks whether the server refused one meanwhile.
WAIT_STEP_SECONDS = 0.25


class _NotingConnection(psycopg.Connection):
    """psycopg's connection, telling the database circuit whether connecting works."""

    @classmethod
    def connect(cls, *args, **kwargs):
        try:
            connection = super().connect(*args, **kwargs)
        except psycopg.OperationalError as error:
            outage.database.trip(error)
            raise
        outage.database.succeeded()
        return connection


class FailFastPool(ConnectionPool):
    """A pool whose getconn() waits in short steps and stops once connecting has failed."""

    def getconn(self, timeout: float | None = None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            step = max(0.001, min(WAIT_STEP_SECONDS, deadline - time.monotonic()))
            try:
                return super().getconn(timeout=step)
            except PoolTimeout:
                if outage.database.is_open or time.monotonic() >= deadline:
                    raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and type(pool) is ConnectionPool:
            # Django builds a plain pool from OPTIONS; this one only waits differently and notes connects.
            pool.__class__ = FailFastPool
            pool.connection_class = _NotingConnection
        return pool
