"""The errors the store lets out, so no caller needs to import the Redis client library."""

from __future__ import annotations

from redis.exceptions import ConnectionError as _ConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as _TimeoutError

__all__ = ["LayoutMismatch", "SchemaMismatch", "StoreError", "StoreUnavailable"]

StoreError = RedisError
"""Any error of the Redis server or client."""

StoreUnavailable: tuple[type[RedisError], ...] = (_ConnectionError, _TimeoutError)
"""The server cannot be reached now (catch it to retry later)."""


class SchemaMismatch(RuntimeError):
    """The Redis database holds data of another grokwatch schema version."""


class LayoutMismatch(SchemaMismatch):
    """The server or database is not in the key layout of this mode: a cluster node
    reached in single-node mode, or data written under the other mode's key names."""
