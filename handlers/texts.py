"""The one catalog of user-facing texts, in English and French.

Errors say what went wrong and what to do next. `t(lang, key, **values)` picks the
language (English when the key has no translation).
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "unknown_command": {
        "en": "There is no `/grok {name}` command.{hint} Type `/grok help` for the list.",
        "fr": "La commande `/grok {name}` n'existe pas.{hint} Tapez `/grok help` pour la liste.",
    },
    "did_you_mean_cmd": {
        "en": " Did you mean `/grok {alt}`?",
        "fr": " Vouliez-vous dire `/grok {alt}` ?",
    },
    "empty_command": {
        "en": "Type a command after `/grok`, e.g. `/grok help`.",
        "fr": "Tapez une commande après `/grok`, par exemple `/grok help`.",
    },
    "missing_arg": {
        "en": "`/grok {name}` needs {param}. Usage: `{usage}`",
        "fr": "`/grok {name}` attend {param}. Usage : `{usage}`",
    },
    "bad_choice": {
        "en": "`{param}:{value}` is not valid; use one of {choices}.",
        "fr": "`{param}:{value}` n'est pas valide ; utilisez {choices}.",
    },
    "unknown_option": {
        "en": "`/grok {name}` has no option `{option}:`. Usage: `{usage}`",
        "fr": "`/grok {name}` n'a pas d'option `{option}:`. Usage : `{usage}`",
    },
    "not_allowed": {
        "en": "Only people who may manage this channel can use `/grok {name}`. "
        "Ask a channel manager or an admin.",
        "fr": "Seules les personnes qui gèrent ce salon peuvent utiliser `/grok {name}`. "
        "Demandez à un responsable du salon.",
    },
    "internal_error": {
        "en": "Something went wrong on our side while running `/grok {name}` (ref `{ref}`). "
        "Nothing was changed; please try again.",
        "fr": "Une erreur interne est survenue pendant `/grok {name}` (réf. `{ref}`). "
        "Rien n'a été modifié ; réessayez.",
    },
    "guild_only": {
        "en": "grokwatch commands work in server channels, not in direct messages.",
        "fr": "Les commandes grokwatch s'utilisent dans les salons d'un serveur, pas en message privé.",
    },
    "try_again": {
        "en": "Something went wrong; try again in a moment.",
        "fr": "Une erreur est survenue ; réessayez dans un instant.",
    },
    "unknown_entity": {
        "en": "I don't know an entity called “{name}”.{hint}",
        "fr": "Je ne connais pas d'entité nommée « {name} ».{hint}",
    },
    "did_you_mean": {"en": " Did you mean {alts}?", "fr": " Vouliez-vous dire {alts} ?"},
    "no_suggestion": {
        "en": " Check the spelling, or ingest articles that mention it first.",
        "fr": " Vérifiez l'orthographe, ou ingérez d'abord des articles qui la mentionnent.",
    },
    "tracked_new": {
        "en": "Now tracking **{name}** ({type}, `{id}`) in this channel{level}. "
        "I'll post an alert when a new article mentions it.",
        "fr": "**{name}** ({type}, `{id}`) est maintenant suivi dans ce salon{level}. "
        "Une alerte sera publiée quand un nouvel article le mentionnera.",
    },
    "tracked_update": {
        "en": "Already tracking **{name}** (`{id}`) here; settings updated{level}.",
        "fr": "**{name}** (`{id}`) est déjà suivi ici ; réglages mis à jour{level}.",
    },
    "level_note": {
        "en": " (only articles where it is at least a {level} actor)",
        "fr": " (seulement les articles où il est un acteur au moins {level})",
    },
    "resolved_from": {"en": "“{given}” resolved to **{name}**.", "fr": "« {given} » → **{name}**."},
    "untracked": {
        "en": "Stopped tracking **{name}** (`{id}`) in this channel.",
        "fr": "**{name}** (`{id}`) n'est plus suivi dans ce salon.",
    },
    "not_tracked": {
        "en": "**{name}** (`{id}`) is not tracked in this channel. `/grok tracked` lists what is.",
        "fr": "**{name}** (`{id}`) n'est pas suivi dans ce salon. `/grok tracked` liste ce qui l'est.",
    },
    "tracked_none": {
        "en": "Nothing is tracked in this channel yet. Try `/grok track Elon Musk`.",
        "fr": "Rien n'est suivi dans ce salon. Essayez `/grok track Elon Musk`.",
    },
    "tracked_title": {"en": "Tracked in this channel", "fr": "Suivi dans ce salon"},
    "mentions_none": {
        "en": "No stored article mentions **{name}** yet.",
        "fr": "Aucun article stocké ne mentionne encore **{name}**.",
    },
    "mentions_title": {
        "en": "{name}: {total} article(s)",
        "fr": "{name} : {total} article(s)",
    },
    "search_none": {
        "en": "No article matches “{query}”. Try fewer or other words.",
        "fr": "Aucun article ne correspond à « {query} ». Essayez d'autres mots.",
    },
    "search_title": {"en": "Search: {query}", "fr": "Recherche : {query}"},
    "sources_none": {
        "en": "No articles stored yet. Ingest some with `/grok ingest PATH`.",
        "fr": "Aucun article stocké. Ingérez-en avec `/grok ingest CHEMIN`.",
    },
    "sources_title": {
        "en": "Sources ({n} outlets, {total} articles)",
        "fr": "Sources ({n} médias, {total} articles)",
    },
    "ingest_unavailable": {
        "en": "Ingesting from chat is not available on this transport.",
        "fr": "L'ingestion depuis le chat n'est pas disponible ici.",
    },
    "ingest_title": {"en": "Ingested {path}", "fr": "Ingestion de {path}"},
    "ingest_summary": {
        "en": "{new} new, {dup} duplicate, {rej} rejected; {alerts} alert(s) queued.",
        "fr": "{new} nouveau(x), {dup} doublon(s), {rej} rejeté(s) ; {alerts} alerte(s).",
    },
    "paused_notice": {
        "en": "Alerts are paused in {notes}. Give the bot access again, then run /grok resume there.",
        "fr": "Alertes suspendues dans {notes}. Rendez l'accès au bot, puis lancez /grok resume dans ce salon.",
    },
    "resumed": {
        "en": "Alerts resume in this channel; {n} kept alert(s) queued again.",
        "fr": "Les alertes reprennent dans ce salon ; {n} alerte(s) conservée(s) renvoyée(s).",
    },
    "not_paused": {
        "en": "Alerts are not paused in this channel.",
        "fr": "Les alertes ne sont pas suspendues dans ce salon.",
    },
    "story_unknown": {
        "en": "There is no story `{story}`. `/grok stories` lists them.",
        "fr": "L'histoire `{story}` n'existe pas. `/grok stories` les liste.",
    },
    "stories_title": {"en": "Stories", "fr": "Histoires"},
    "key_entities": {"en": "Key entities", "fr": "Entités clés"},
    "outlets": {"en": "Outlets", "fr": "Médias"},
    "date_range": {"en": "Dates", "fr": "Dates"},
    "articles": {"en": "Articles", "fr": "Articles"},
    "timeline_none": {
        "en": "No dated event found in this story yet.",
        "fr": "Aucun événement daté dans cette histoire pour l'instant.",
    },
    "timeline_title": {"en": "Timeline: {title}", "fr": "Chronologie : {title}"},
    "quotes_none": {
        "en": "No attributed quotation found.",
        "fr": "Aucune citation attribuée trouvée.",
    },
    "quotes_title": {"en": "Who said what: {title}", "fr": "Qui a dit quoi : {title}"},
    "type": {"en": "Type", "fr": "Type"},
    "often_with": {"en": "Often mentioned with", "fr": "Souvent cité avec"},
    "in_catalog": {"en": "Known as", "fr": "Connu comme"},
    "trend_title": {
        "en": "{name}: {total} article(s) by week",
        "fr": "{name} : {total} article(s) par semaine",
    },
    "ask_none": {
        "en": "I found nothing in the stored articles that answers this well enough. "
        "Try other words, or `/grok search` for related articles.",
        "fr": "Rien dans les articles stockés ne répond assez bien à cette question. "
        "Essayez d'autres mots, ou `/grok search` pour des articles proches.",
    },
    "ask_title": {"en": "Answer", "fr": "Réponse"},
    "ask_more": {"en": "Also relevant", "fr": "Aussi pertinent"},
    "ask_generated": {
        "en": "Written by a language model from the cited passages only.",
        "fr": "Rédigé par un modèle de langue à partir des seuls passages cités.",
    },
    "alert_matched": {"en": "Tracked entities", "fr": "Entités suivies"},
    "unknown_outlet": {"en": "unknown outlet", "fr": "média inconnu"},
    "undated": {"en": "undated", "fr": "sans date"},
    # feeds
    "feeds_unavailable": {
        "en": "Feeds are not available on this bot.",
        "fr": "Les flux ne sont pas disponibles sur ce bot.",
    },
    "feeds_none": {
        "en": "This channel has added no feed yet. Try `/grok feeds add https://example.org/feed.xml`.",
        "fr": "Ce salon n'a encore ajouté aucun flux. Essayez `/grok feeds add https://example.org/feed.xml`.",
    },
    "feeds_title": {"en": "Feeds of this channel ({n})", "fr": "Flux de ce salon ({n})"},
    "feeds_need_url": {
        "en": "`/grok feeds {action}` needs the feed's URL, e.g. `/grok feeds {action} https://example.org/feed.xml`.",
        "fr": "`/grok feeds {action}` attend l'adresse du flux, p. ex. `/grok feeds {action} https://example.org/feed.xml`.",
    },
    "feeds_added": {
        "en": "Now polling <{url}>. {n} existing article(s) indexed without alerts; "
        "new ones will alert the channels that track what they mention.",
        "fr": "Le flux <{url}> est suivi. {n} article(s) existant(s) indexé(s) sans alerte ; "
        "les nouveaux alerteront les salons qui suivent ce qu'ils mentionnent.",
    },
    "feeds_exists": {
        "en": "<{url}> is already polled; this channel will get its notices too.",
        "fr": "<{url}> est déjà suivi ; ce salon recevra aussi ses avis.",
    },
    "feeds_resumed": {
        "en": "<{url}> was paused; polling it again.",
        "fr": "<{url}> était suspendu ; il est de nouveau suivi.",
    },
    "feeds_first_poll_failed": {
        "en": "The first poll failed ({error}); I will retry with backoff.",
        "fr": "La première lecture a échoué ({error}) ; nouvel essai plus tard.",
    },
    "feeds_refused": {
        "en": "Cannot add <{url}>: {error}.",
        "fr": "Impossible d'ajouter <{url}> : {error}.",
    },
    "feeds_removed": {
        "en": "Stopped polling <{url}> for this channel.",
        "fr": "Le flux <{url}> n'est plus suivi pour ce salon.",
    },
    "feeds_not_found": {
        "en": "This channel has no feed <{url}>. `/grok feeds list` shows its feeds.",
        "fr": "Ce salon n'a pas de flux <{url}>. `/grok feeds list` montre ses flux.",
    },
    "feeds_following": {
        "en": "Every new item of <{url}> will be posted here, whatever it mentions. "
        "Items already in the feed are not posted. `/grok feeds unfollow {url}` stops it.",
        "fr": "Chaque nouvel article de <{url}> sera publié ici, quoi qu'il mentionne. "
        "Les articles déjà dans le flux ne le sont pas. `/grok feeds unfollow {url}` arrête.",
    },
    "feeds_already_following": {
        "en": "Every new item of <{url}> is already posted here.",
        "fr": "Chaque nouvel article de <{url}> est déjà publié ici.",
    },
    "feeds_unfollowed": {
        "en": "New items of <{url}> are no longer all posted here; they alert only when they "
        "mention what this channel tracks. The feed is still polled (`/grok feeds remove` drops it).",
        "fr": "Les nouveaux articles de <{url}> ne sont plus tous publiés ici ; ils n'alertent "
        "que s'ils mentionnent ce que suit ce salon. Le flux reste lu (`/grok feeds remove` le retire).",
    },
    "feeds_not_following": {
        "en": "This channel does not get every item of <{url}>: only the ones that mention "
        "what it tracks. `/grok feeds follow {url}` posts them all.",
        "fr": "Ce salon ne reçoit pas tous les articles de <{url}>, seulement ceux qui "
        "mentionnent ce qu'il suit. `/grok feeds follow {url}` les publie tous.",
    },
    "feed_every_item": {
        "en": "every new item is posted here",
        "fr": "chaque nouvel article est publié ici",
    },
    "feed_state_ok": {"en": "active", "fr": "actif"},
    "feed_state_failing": {"en": "failing ({n} in a row)", "fr": "en échec ({n} de suite)"},
    "feed_state_paused": {
        "en": "paused after {n} failure(s)",
        "fr": "suspendu après {n} échec(s)",
    },
    "feed_line": {
        "en": "{state} · {articles} article(s) · last poll {last} · next {next}",
        "fr": "{state} · {articles} article(s) · dernière lecture {last} · prochaine {next}",
    },
    "feed_last_error": {"en": "last error: {error}", "fr": "dernière erreur : {error}"},
    "feed_paused_title": {"en": "Feed paused", "fr": "Flux suspendu"},
    "feed_paused_text": {
        "en": "I stopped polling <{url}> after {n} failure(s) in a row (last: {error}). "
        "Fix it, then run `/grok feeds add {url}` to resume.",
        "fr": "Je ne lis plus <{url}> après {n} échec(s) de suite (dernier : {error}). "
        "Corrigez-le, puis lancez `/grok feeds add {url}` pour reprendre.",
    },
    "track_forum": {
        "en": "Alerts cannot go to a forum channel: each alert would need a post of its own. "
        "Run `/grok track` in a text channel (or a thread of one) instead.",
        "fr": "Les alertes ne peuvent pas aller dans un salon forum : chaque alerte y serait "
        "un message à part. Lancez `/grok track` dans un salon textuel (ou un de ses fils).",
    },
    "track_bot_missing": {
        "en": "I could not post alerts here: I lack {perms} in this channel. "
        "Give my role these permissions (channel settings → Permissions), then try again.",
        "fr": "Je ne pourrais pas publier d'alertes ici : il me manque {perms} dans ce salon. "
        "Donnez ces permissions à mon rôle (paramètres du salon → Permissions), puis "
        "réessayez.",
    },
    "alert_outlet": {"en": "Outlet", "fr": "Média"},
    "alert_date": {"en": "Date", "fr": "Date"},
    "alert_language": {"en": "Language", "fr": "Langue"},
    "alert_feed_item": {
        "en": "New in a feed this channel follows",
        "fr": "Nouveau dans un flux suivi ici",
    },
    "alert_detail": {
        "en": "matched {words} in {where} · {n}× · {level} salience",
        "fr": "trouvé {words} dans {where} · {n}× · importance {level}",
    },
    "alert_in_title_and_text": {"en": "the title and text", "fr": "le titre et le texte"},
    "alert_in_title": {"en": "the title", "fr": "le titre"},
    "alert_in_text": {"en": "the text", "fr": "le texte"},
    "digest_title": {"en": "Digest", "fr": "Résumé"},
    "digest_text": {
        "en": "{n} alert(s) since the last digest:",
        "fr": "{n} alerte(s) depuis le dernier résumé :",
    },
    "digest_more": {
        "en": " (the {n} oldest not listed)",
        "fr": " (les {n} plus anciennes non listées)",
    },
    "digest_feed_item": {"en": "new feed item", "fr": "nouvel article du flux"},
    "settings_title": {
        "en": "Alert settings of this channel",
        "fr": "Réglages des alertes du salon",
    },
    "settings_now": {"en": "Current settings:", "fr": "Réglages actuels :"},
    "settings_saved": {"en": "Saved. The settings now:", "fr": "Enregistré. Les réglages :"},
    "settings_off": {"en": "off", "fr": "non"},
    "settings_bad": {
        "en": "Not changed: {error}. `/grok help settings` shows the options.",
        "fr": "Rien changé : {error}. `/grok help settings` montre les options.",
    },
}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, formatted with `values`."""
    entry = TEXTS[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**values)
