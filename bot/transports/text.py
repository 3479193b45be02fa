"""Text cut to a platform's limits, the same way on every platform.

`split_text` cuts long text into chunks (a long reply is split, never rejected), `clip`
shortens a title or a label with an ellipsis. Cuts fall at the last paragraph, line or
word break in the second half of the allowance; a platform whose markup has units that
must stay whole (Slack's `<link|label>` and `&amp;`) passes a `guard` that moves a cut
back out of them.
"""

from __future__ import annotations

from collections.abc import Callable

BREAKS = ("\n\n", "\n", " ")
ELLIPSIS = "…"

Guard = Callable[[str, int], int]
"""(text, cut) → a cut at or before `cut` that splits no unit of the platform's markup."""


def cut_at(text: str, limit: int, *, at_break: bool = True, guard: Guard | None = None) -> int:
    """Where to cut `text` so that at most `limit` characters stay before the cut."""
    if len(text) <= limit:
        return len(text)
    cut = limit
    if at_break:
        for sep in BREAKS:
            at = text.rfind(sep, limit // 2 + 1, limit + 1)
            if at > 0:
                cut = at
                break
    if guard is not None:
        cut = guard(text, cut)
    return max(cut, 1)


def split_text(text: str, limit: int, *, guard: Guard | None = None) -> list[str]:
    """`text` (stripped) in chunks of at most `limit` characters, cut at breaks; the
    whitespace at a cut goes, nothing else."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = cut_at(rest, limit, guard=guard)
        chunk = rest[:at].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[at:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def clip(text: str, limit: int, *, guard: Guard | None = None) -> str:
    """`text` (stripped) in at most `limit` characters; an ellipsis marks a cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: cut_at(text, limit - 1, at_break=False, guard=guard)].rstrip() + ELLIPSIS
