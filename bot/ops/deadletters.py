"""`grokwatch dead-letters list|replay|drop`: what the stages gave up on, and putting it
back once its cause is fixed (`bot.store.retries`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from bot.settings import Settings
from bot.store import Store

logger = logging.getLogger(__name__)

ACTIONS = ("list", "replay", "drop")


async def dead_letters(
    settings: Settings, action: str, ids: Sequence[str], *, as_json: bool = False
) -> str:
    """Run `action` on the dead letters named by `ids` (all of them when none is named,
    for replay and drop); what to print."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: choose list, replay or drop")
    store = await Store.connect(
        redis_url=settings.redis_url, data_dir=settings.data_dir, key_prefix=settings.key_prefix
    )
    try:
        await store.check_schema()
        repo = store.retries
        if action == "list":
            letters = await repo.dead_letters(limit=1000)
            if ids:
                letters = [d for d in letters if d.id in ids]
            if as_json:
                return json.dumps([d.to_json() for d in letters], ensure_ascii=False)
            if not letters:
                return "no dead letters"
            lines = [
                f"{d.id}  {d.stage}  {d.fields.get('channel', '')} "
                f"{d.fields.get('article') or d.fields.get('notice') or d.fields.get('id', '')}"
                f"  — {d.reason}"
                for d in letters
            ]
            return "\n".join(lines)
        chosen = list(ids) or None
        if action == "replay":
            n = await repo.replay(chosen)
            logger.info("dead letters replayed: %d", n)
            return json.dumps({"replayed": n}) if as_json else f"{n} dead letter(s) put back"
        n = await repo.drop(chosen)
        logger.info("dead letters dropped: %d", n)
        return json.dumps({"dropped": n}) if as_json else f"{n} dead letter(s) dropped"
    finally:
        await store.close()
