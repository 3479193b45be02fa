"""Channel settings: /grok settings — how alerts reach this channel (noise control).

Reading is open to everyone; changing any of them needs the manage permission. The rules
themselves (digests, quiet hours, caps, filters, pings) are `handlers.noise`.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.context import CommandRequest, HandlerContext
from handlers.noise import (
    DIGEST_MODES,
    BadSetting,
    ChannelSettings,
    TextFilter,
    parse_ping,
    parse_quiet,
    zone,
)
from handlers.registry import Param, command
from handlers.reply import Field, Reply, defang
from handlers.texts import t

logger = logging.getLogger(__name__)

OPTIONS = ("digest", "hour", "cap", "quiet", "tz", "lang", "filter", "exclude", "ping")


def _opt(name: str, en: str, fr: str, **kw: Any) -> Param:
    return Param(name, en, required=False, description_fr=fr, **kw)


def _changes(req: CommandRequest) -> dict[str, Any]:
    """The settings the request changes; raises BadSetting with the reason."""
    a = req.args
    out: dict[str, Any] = {}
    if "digest" in a:
        out["digest"] = a["digest"]
    if "hour" in a:
        if not a["hour"].isdigit() or not 0 <= int(a["hour"]) <= 23:
            raise BadSetting("hour is the local hour of the daily digest, 0 to 23")
        out["digest_hour"] = int(a["hour"])
    if "cap" in a:
        if not a["cap"].isdigit() or int(a["cap"]) > 1000:
            raise BadSetting("cap is a number of alerts per hour, 0 (no cap) to 1000")
        out["cap"] = int(a["cap"])
    if "quiet" in a:
        out["quiet"] = parse_quiet(a["quiet"])
    if "tz" in a:
        zone(a["tz"])
        out["tz"] = a["tz"]
    if "lang" in a:
        out["lang"] = a["lang"]
    for key, field in (("filter", "include"), ("exclude", "exclude")):
        if key in a:
            off = a[key].strip().casefold() == "off"
            out[field] = "" if off else TextFilter.parse(a[key]).source
    if "ping" in a:
        off = a["ping"].strip().casefold() == "off"
        out["ping"] = "" if off else parse_ping(a["ping"], req.channel.platform)
    return out


def _show(s: ChannelSettings, held: int, lang: str) -> list[Field]:
    quiet = f"{s.quiet[0]:02d}:00–{s.quiet[1]:02d}:00" if s.quiet else t(lang, "settings_off")
    digest = s.digest if s.digest != "daily" else f"daily {s.digest_hour:02d}:00"
    return [
        Field("digest", f"{digest} ({held} held)", inline=True),
        Field("cap", str(s.cap or t(lang, "settings_off")) + " /h", inline=True),
        Field("quiet", quiet, inline=True),
        Field("tz", s.tz, inline=True),
        Field("lang", s.lang or "—", inline=True),
        Field("ping", s.ping or t(lang, "settings_off"), inline=True),
        Field("filter", defang(s.include) or "—"),
        Field("exclude", defang(s.exclude) or "—"),
    ]


@command(
    "settings",
    _opt(
        "digest",
        "off, hourly or daily: alerts bundled in one message",
        "off, hourly ou daily : alertes regroupées",
        kind="choice",
        choices=DIGEST_MODES,
    ),
    _opt(
        "hour", "local hour of the daily digest (0-23)", "heure locale du résumé quotidien (0-23)"
    ),
    _opt(
        "cap",
        "alerts per hour posted at once; the rest wait for the digest (0: no cap)",
        "alertes par heure publiées aussitôt ; le reste attend le résumé",
    ),
    _opt(
        "quiet",
        "quiet hours, e.g. 22-7 (held for later), or off",
        "heures calmes, par ex. 22-7, ou off",
    ),
    _opt(
        "tz",
        "time zone of this channel, e.g. Europe/Paris",
        "fuseau horaire du salon, par ex. Europe/Paris",
    ),
    _opt(
        "lang", "language of the alerts", "langue des alertes", kind="choice", choices=("en", "fr")
    ),
    _opt(
        "filter",
        "only articles with these words (a, b) or matching /pattern/; off",
        "seulement les articles avec ces mots ou /motif/ ; off",
    ),
    _opt(
        "exclude",
        "skip articles with these words or matching /pattern/; off",
        "ignorer les articles avec ces mots ou /motif/ ; off",
    ),
    _opt(
        "ping",
        "a role or user to ping on urgent alerts (never @everyone); off",
        "un rôle ou une personne à notifier pour les alertes urgentes ; off",
    ),
    manage_when={name: () for name in OPTIONS},  # reading is open, changing is not
    help_fr="Comment les alertes arrivent dans ce salon : résumés, plafond, heures calmes, filtres.",
)
async def settings(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """How alerts reach this channel: digests, an hourly cap, quiet hours, filters, pings.

    `/grok settings digest:daily hour:8 tz:Europe/Paris` bundles the day's alerts in one
    message at 8:00; `cap:5` posts five an hour and keeps the rest for the next digest;
    `quiet:22-7` holds alerts overnight; `filter:"open source, weights"` or
    `exclude:/rumou?r/` keeps or drops articles by their words; `ping:@role` notifies a
    role when a tracked entity is central to an article. Each option takes `off`.
    """
    current = await ctx.store.noise.settings(req.where)
    try:
        changes = _changes(req)
    except BadSetting as exc:
        return Reply.error(t(req.lang, "settings_bad", error=defang(str(exc))))
    if changes:
        current = current.with_changes(**changes)
        await ctx.store.noise.save_settings(req.where, current)
        logger.info("%s changed settings of %s: %s", req.user, req.where, sorted(changes))
    held = await ctx.store.noise.held(req.where)
    return Reply(
        text=t(req.lang, "settings_saved" if changes else "settings_now"),
        title=t(req.lang, "settings_title"),
        fields=_show(current, held, req.lang),
    )
