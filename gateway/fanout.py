"""One small thread pool for asking every service at once (health, OpenAPI): the door waits for the slowest
room, not for the sum of them."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pasar import config

_pool: ThreadPoolExecutor | None = None


def services_pool() -> ThreadPoolExecutor:
    """Created lazily, after gunicorn forks (threads do not survive a fork)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=len(config.SERVICES), thread_name_prefix="fanout")
    return _pool
