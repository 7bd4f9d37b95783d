"""Django's PostgreSQL backend whose connection pool stops waiting for a server that refuses (see base.py)."""
