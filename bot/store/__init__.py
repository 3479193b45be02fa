"""The store: everything grokwatch keeps in Redis, behind one repository per concern.

Only this package talks to Redis (key names in `bot.store.keys`, Lua scripts beside the
repository that runs them). Writes that must happen together are one Lua script or one
MULTI transaction, so a crash never leaves an article half-stored, and every write is
idempotent, so a stage replayed after a crash changes nothing the first run already did.
"""

from bot.store.errors import SchemaMismatch, StoreError, StoreUnavailable
from bot.store.store import Store

__all__ = ["SchemaMismatch", "Store", "StoreError", "StoreUnavailable"]
