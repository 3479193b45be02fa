"""One registry, one decorator: `@command("track", Param(...))`.

Each transport reads `REGISTRY` to publish its commands (Discord slash commands, Slack's
`/grok` router, the console's help); the handler's docstring is its help text. The text
parser here turns "/grok track Elon Musk min:high" into a `CommandRequest`.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import process

from handlers.context import CommandRequest, HandlerContext
from handlers.reply import Reply
from handlers.texts import t
from nlp.lang import detect_language

logger = logging.getLogger(__name__)

Handler = Callable[[HandlerContext, CommandRequest], Awaitable[Reply]]
ParamKind = Literal["text", "entity", "path", "choice"]

PREFIXES = ("/grok", "grok", "@grokwatch", "<@grokwatch>")


class ParseError(ValueError):
    """A malformed command; the message is the user-facing reply."""


@dataclass(frozen=True, slots=True)
class Param:
    """One argument. `rest=True`: it takes the free text of the line; otherwise it is an
    option written `name:value`. `positional=True`: it may also be written as a leading
    bare word (`/grok feeds add URL`); a positional choice takes the word only when it is
    one of its choices, so it can be left out."""

    name: str
    description: str
    kind: ParamKind = "text"
    required: bool = True
    rest: bool = False
    choices: tuple[str, ...] = ()
    description_fr: str = ""
    positional: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    func: Handler
    params: tuple[Param, ...]
    help: str  # the first paragraph of the docstring
    details: str  # the rest of the docstring
    manage: bool  # changes channel settings: needs the manage permission
    help_fr: str = ""
    # or only some uses do: {"action": ("add", "remove")} — reading stays open to all;
    # an empty tuple: any value given to that option
    manage_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def needs_manage(self, args: Mapping[str, str | None]) -> bool:
        """Whether running with these arguments needs the manage permission."""
        if self.manage:
            return True
        return any(
            (args.get(name) or "").casefold() in values if values else bool(args.get(name))
            for name, values in self.manage_when
        )

    @property
    def usage(self) -> str:
        parts = [f"/grok {self.name}"]
        for p in self.params:
            if p.rest:
                token = p.name.upper()
            elif p.positional:
                token = "|".join(p.choices) or p.name.upper()
            else:
                token = f"{p.name}:{'|'.join(p.choices) or p.name.upper()}"
            parts.append(token if p.required else f"[{token}]")
        return " ".join(parts)

    def description(self, lang: str = "en") -> str:
        return (self.help_fr if lang == "fr" and self.help_fr else self.help).strip()


REGISTRY: dict[str, CommandSpec] = {}


def command(
    name: str,
    *params: Param,
    manage: bool = False,
    manage_when: Mapping[str, tuple[str, ...]] | None = None,
    help_fr: str = "",
) -> Callable[[Handler], Handler]:
    """Register a handler under `/grok NAME`. `manage`: every use changes the channel's
    settings; `manage_when`: only uses with these argument values do."""
    if sum(p.rest for p in params) > 1:
        raise ValueError(f"{name}: at most one free-text parameter")

    def register(func: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"command {name!r} registered twice")
        doc = inspect.cleandoc(func.__doc__ or name)
        head, _, rest = doc.partition("\n\n")
        REGISTRY[name] = CommandSpec(
            name=name,
            func=func,
            params=params,
            help=" ".join(head.split()),
            details=rest.strip(),
            manage=manage,
            help_fr=help_fr,
            manage_when=tuple((k, tuple(v)) for k, v in (manage_when or {}).items()),
        )
        return func

    return register


def reply_language(words: str, hint: str) -> str:
    """The language of the bot's own words in a reply, the same rule on every platform:
    French when the user's words (three or more) are clearly French ("Quand xAI a-t-elle
    été fondée ?"), else `hint`: the language the platform reports for the user's client,
    or GROKWATCH_LANGUAGE."""
    if len(words.split()) >= 3 and detect_language(words) == "fr":
        return "fr"
    return hint


def _user_words(request: CommandRequest) -> str:
    """The free text the user wrote (a question, search words), not names or options."""
    spec = REGISTRY.get(request.name)
    free = {p.name for p in spec.params if p.rest and p.kind == "text"} if spec else set()
    return " ".join(v for k, v in request.args.items() if k in free)


def parse_command(line: str, *, lang: str = "en") -> CommandRequest:
    """Parse a command line as typed in a chat. Raises ParseError with the reply text.

    `lang` is the hint that `dispatch` decides the reply language from; it stays the
    request's `lang` until then. An error is worded in the language `reply_language`
    decides from the line's own words."""
    try:
        return _parse(line, lang)
    except ParseError:
        decided = reply_language(" ".join(line.split()[2:]), lang)
        if decided == lang:
            raise
        return _parse(line, decided)  # raises again, in the user's language


def _parse(line: str, lang: str) -> CommandRequest:
    text = line.strip()
    lowered = text.casefold()
    for prefix in PREFIXES:
        if lowered == prefix or lowered.startswith(prefix + " "):
            text = text[len(prefix) :].strip()
            break
    if not text:
        raise ParseError(t(lang, "empty_command"))
    name, _, rest = text.partition(" ")
    name = name.casefold()
    spec = REGISTRY.get(name)
    if spec is None:
        raise ParseError(unknown_command_text(name, lang))
    return CommandRequest(name=name, args=parse_args(spec, rest, lang=lang), raw=line, lang=lang)


def unknown_command_text(name: str, lang: str) -> str:
    best = process.extractOne(name, list(REGISTRY), score_cutoff=60)
    hint = t(lang, "did_you_mean_cmd", alt=best[0]) if best else ""
    return t(lang, "unknown_command", name=name, hint=hint)


def parse_args(spec: CommandSpec, rest: str, *, lang: str = "en") -> dict[str, str]:
    options = {p.name: p for p in spec.params if not p.rest}
    free = next((p for p in spec.params if p.rest), None)
    args: dict[str, str] = {}
    words: list[str] = []
    try:
        tokens = shlex.split(rest)
    except ValueError:  # an unmatched quote: take the words as they are
        tokens = rest.split()
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.casefold() in options and value:
            args[key.casefold()] = value
        elif sep and key.isalpha() and key.islower() and value and not free:
            raise ParseError(
                t(lang, "unknown_option", name=spec.name, option=key, usage=spec.usage)
            )
        else:
            words.append(token)
    for p in spec.params:  # leading bare words fill positional parameters, in order
        if not p.positional or p.rest or p.name in args or not words:
            continue
        if p.choices and words[0].casefold() not in p.choices:
            continue
        args[p.name] = words.pop(0)
    if free is not None and words:
        args[free.name] = " ".join(words)
    elif words:
        raise ParseError(
            t(lang, "unknown_option", name=spec.name, option=words[0], usage=spec.usage)
        )
    validate_args(spec, args, lang=lang)
    return args


def validate_args(spec: CommandSpec, args: dict[str, str], *, lang: str = "en") -> None:
    for p in spec.params:
        value = args.get(p.name)
        if value is None or not value.strip():
            if p.required:
                raise ParseError(
                    t(lang, "missing_arg", name=spec.name, param=p.name.upper(), usage=spec.usage)
                )
            continue
        if p.choices and value.casefold() not in p.choices:
            raise ParseError(
                t(lang, "bad_choice", param=p.name, value=value, choices=", ".join(p.choices))
            )
        if p.choices:
            args[p.name] = value.casefold()


async def dispatch(ctx: HandlerContext, request: CommandRequest) -> Reply:
    """Run a parsed request: decides the reply language, checks permission, runs the
    handler, never raises."""
    request.lang = reply_language(_user_words(request), request.lang)
    # every read answers over what this guild/workspace may see (its own articles and
    # the shared corpus), never another one's
    ctx = replace(ctx, store=ctx.store.visible_to(request.tenant))
    spec = REGISTRY.get(request.name)
    if spec is None:
        return Reply.error(unknown_command_text(request.name, request.lang))
    try:
        validate_args(spec, request.args, lang=request.lang)
    except ParseError as exc:
        return Reply.error(str(exc))
    if spec.needs_manage(request.args) and not request.can_manage:
        return Reply.error(t(request.lang, "not_allowed", name=spec.name))
    try:
        reply = await spec.func(ctx, request)
        await _add_pause_notice(ctx, request, reply)
        return reply
    except Exception:
        ref = secrets.token_hex(4)
        logger.exception("command %s failed (ref %s)", request.name, ref)
        return Reply.error(t(request.lang, "internal_error", name=spec.name, ref=ref))


async def _add_pause_notice(ctx: HandlerContext, request: CommandRequest, reply: Reply) -> None:
    """Tell whoever runs a command in a guild/workspace that alerts to a channel of it are
    paused (the platform refused them), and how to resume."""
    if request.name == "resume":
        return
    paused = await ctx.store.delivery.paused_channels(request.channel.scope_key)
    if paused:
        notes = "; ".join(f"{ch.rsplit(':', 1)[-1]}: {why}" for ch, why in sorted(paused.items()))
        reply.footer = t(request.lang, "paused_notice", notes=notes) + (
            f" · {reply.footer}" if reply.footer else ""
        )


async def run_line(ctx: HandlerContext, line: str, **request_fields: object) -> Reply:
    """Parse and dispatch one typed line (console, `grokwatch say`, tests)."""
    lang = str(request_fields.get("lang", "en"))
    try:
        request = parse_command(line, lang=lang)
    except ParseError as exc:
        return Reply.error(str(exc))
    for key, value in request_fields.items():
        setattr(request, key, value)
    return await dispatch(ctx, request)


__all__ = [
    "REGISTRY",
    "CommandSpec",
    "Handler",
    "Param",
    "ParseError",
    "command",
    "dispatch",
    "parse_command",
    "run_line",
]
