"""Every Redis key grokwatch uses, in one place, under one prefix (default "gw").

On a single server a key is `<prefix>:<parts>` (`gw:article:…`), as it always was. In
cluster mode (`Keys(prefix, cluster=True)`) the prefix is a hash tag, `{gw}:article:…`, so
every key of one deployment hashes to the same slot: the scripts and MULTI blocks of the
repositories touch keys of several concerns at once (an article, the ingest stream and the
stats counters in one script; an article and its 30+ entity and term keys in one MULTI),
and Redis Cluster runs those only when all their keys share a slot. Another prefix is
another slot, so several deployments (tenants) spread over the cluster's nodes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATES_FROM", "SCHEMA_VERSION", "Keys"]

SCHEMA_VERSION = 4
"""2: the term index holds `nlp.text.stem` stems (1 held plural-stripped words).
3: the near-duplicate bands are fields of band hashes (`lsh_bucket`), signatures packed
(2 kept one set per band, `lsh_band`, and JSON signatures).
4: tenancy: the articles each tenant owns (`tenant_articles`; the shared corpus is the
"public" tenant's), the private ones (`private_articles`), feeds of the shared corpus
flagged `public`; channel settings for noise control. An older database is migrated on
start (`Store.check_schema`), step by step: every existing article joins the public
corpus."""
MIGRATES_FROM: frozenset[int] = frozenset({1, 2, 3})
"""The older schemas this version migrates on start."""

# consumer groups
G_ANALYZE = "analyze"
G_FANOUT = "fanout"
G_ENRICH = "enrich"
G_DELIVER = "deliver"


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "gw"
    cluster: bool = False
    """Hash-tag the prefix (`{gw}:…`): every key in one slot, for Redis Cluster."""

    @property
    def root(self) -> str:
        """What every key starts with: `gw`, or the hash tag `{gw}` in cluster mode."""
        return "{" + self.prefix + "}" if self.cluster else self.prefix

    @property
    def other_layout(self) -> Keys:
        """The same prefix in the other mode (to notice data written in that one)."""
        return Keys(self.prefix, cluster=not self.cluster)

    def _k(self, *parts: str) -> str:
        return ":".join((self.root, *parts))

    # meta
    @property
    def schema(self) -> str:
        return self._k("schema")

    @property
    def stats(self) -> str:
        return self._k("stats")

    @property
    def meta(self) -> str:
        """hash: small facts the bot remembers about itself (the digest of the slash
        commands last published to Discord, …)."""
        return self._k("meta")

    def histogram(self, name: str) -> str:
        """hash: a latency histogram (bucket upper bound → count, `sum`, `count`)."""
        return self._k("hist", name)

    # articles
    def article(self, article_id: str) -> str:
        return self._k("article", article_id)

    @property
    def articles(self) -> str:
        """zset article id → publication (or ingestion) timestamp."""
        return self._k("articles")

    @property
    def content_hashes(self) -> str:
        """hash content hash → article id (same text under another URL)."""
        return self._k("contenthash")

    def queued_alerts(self, article_id: str) -> str:
        """list of JSON alerts the fan-out queued for an article (for ingest reports)."""
        return self._k("article", article_id, "alerts")

    # index
    def entity_articles(self, entity_id: str) -> str:
        """zset article id → timestamp: the articles mentioning an entity."""
        return self._k("entity", entity_id, "articles")

    @property
    def discovered(self) -> str:
        """hash entity id → JSON EntityInfo of entities found by NER, not in the catalog."""
        return self._k("discovered")

    def term(self, term: str) -> str:
        """zset article id → term weight."""
        return self._k("term", term)

    @property
    def term_pattern(self) -> str:
        """The SCAN pattern of every term key."""
        return self._k("term", "*")

    @property
    def migration_lock(self) -> str:
        """Held by the one process migrating the database to a new schema."""
        return self._k("schema", "migrating")

    @property
    def sources(self) -> str:
        """set of outlet names."""
        return self._k("sources")

    def source_articles(self, name: str) -> str:
        """zset article id → timestamp for one outlet."""
        return self._k("source", name)

    # stories
    def story(self, story_id: str) -> str:
        """hash: id, title, first article."""
        return self._k("story", story_id)

    def story_articles(self, story_id: str) -> str:
        """zset article id → timestamp."""
        return self._k("story", story_id, "articles")

    @property
    def stories(self) -> str:
        """zset story id → number of articles."""
        return self._k("stories")

    @property
    def undated(self) -> str:
        """set of article ids with no publication date (they fit any time window)."""
        return self._k("undated")

    def lsh_band(self, band_key: str) -> str:
        """Schema 2 only (dropped by the migration to 3): set of article ids sharing one
        MinHash band."""
        return self._k("lsh", band_key)

    def lsh_bucket(self, band: str, shard: str) -> str:
        """hash band digest (less its first `shard` digits) → comma-separated ids of the
        articles sharing that MinHash band: near-duplicate candidates (bot.store.neardup)."""
        return self._k("nd", band, shard)

    # subscriptions: the inverted index entity → channels, and channel → entities
    def subscribers(self, entity_id: str) -> str:
        return self._k("subs", entity_id)

    def channel_subs(self, channel: str) -> str:
        return self._k("chan", channel, "subs")

    @property
    def channels(self) -> str:
        return self._k("channels")

    # alert idempotency
    def alerted(self, channel: str) -> str:
        """set of article ids an alert was queued for in this channel (queued once, ever)."""
        return self._k("chan", channel, "alerted")

    def delivered(self, channel: str) -> str:
        """set of article ids whose alert reached this channel."""
        return self._k("chan", channel, "delivered")

    # paused deliveries: the platform refused (channel gone, access lost)
    def paused(self, scope: str) -> str:
        """hash channel → JSON {reason, at}: channels of one guild/workspace whose alerts are
        paused. `scope` is the channel id up to its last part ("discord:<guild>")."""
        return self._k("paused", scope)

    def parked(self, channel: str) -> str:
        """list of outbox entries (JSON) kept for a paused channel, re-queued on resume."""
        return self._k("chan", channel, "parked")

    def threads(self, channel: str) -> str:
        """hash thread key → platform reference of the message that opened the thread."""
        return self._k("chan", channel, "threads")

    # feeds (bot.store.feeds)
    def feed(self, feed_id: str) -> str:
        """hash: a feed's state (url, added_by, etag, last_modified, failures, paused...)."""
        return self._k("feed", feed_id)

    def feed_lock(self, feed_id: str) -> str:
        """string: the token of the worker polling a feed now (SET NX PX)."""
        return self._k("feed", feed_id, "lock")

    def feed_channels(self, feed_id: str) -> str:
        """set of the channels that added a feed (its notices go there)."""
        return self._k("feed", feed_id, "channels")

    @property
    def feeds(self) -> str:
        """hash feed id → url: every feed, paused ones included."""
        return self._k("feeds")

    @property
    def feeds_due(self) -> str:
        """zset feed id → next poll timestamp: the active feeds' schedule."""
        return self._k("feeds", "due")

    def channel_feeds(self, channel: str) -> str:
        """set of the feed ids a channel added."""
        return self._k("chan", channel, "feeds")

    # notices: bot messages to a channel that are not alerts (a feed paused...)
    def notices_sent(self, channel: str) -> str:
        """set of notice ids delivered to a channel (each is sent once, ever)."""
        return self._k("chan", channel, "notices")

    @property
    def notices_queued(self) -> str:
        """set of notice ids queued in an outbox (queued once, ever)."""
        return self._k("notices")

    def sending(self, channel: str, key: str) -> str:
        """An intent mark written before a platform post (expires; see `DeliveryRepository.mark_sending`)."""
        return self._k("chan", channel, "sending", key)

    # streams
    @property
    def ingest_stream(self) -> str:
        return self._k("stream", "ingest")

    @property
    def analyzed_stream(self) -> str:
        return self._k("stream", "analyzed")

    @property
    def enriched_stream(self) -> str:
        return self._k("stream", "enriched")

    def outbox(self, platform: str) -> str:
        return self._k("outbox", platform)

    def retries(self, platform: str) -> str:
        """zset: outbox entries waiting for their next try (JSON fields → when, epoch s)."""
        return self._k("retry", platform)

    @property
    def dead_letters(self) -> str:
        return self._k("stream", "dead")

    # tenancy (bot.store.tenants): who may see which article
    def tenant_articles(self, tenant: str) -> str:
        """zset article id → timestamp: the articles a tenant ingested or its feeds
        brought ("public": the shared corpus, visible to every tenant when shared)."""
        return self._k("tenant", tenant, "articles")

    @property
    def private_articles(self) -> str:
        """zset article id → timestamp: the articles outside the shared corpus (visible
        only to the tenants owning them)."""
        return self._k("private")

    @property
    def tenants(self) -> str:
        """hash tenant → JSON facts (platform, name, installed at): the known tenants."""
        return self._k("tenants")

    def tenant_channels(self, tenant: str) -> str:
        """set of the channels of a tenant that have subscriptions or settings."""
        return self._k("tenant", tenant, "channels")

    # noise control (bot.store.noise)
    def channel_settings(self, channel: str) -> str:
        """hash: a channel's alert settings (digest, cap, quiet hours, language, zone)."""
        return self._k("chan", channel, "settings")

    def channel_rate(self, channel: str, hour: str) -> str:
        """string counter: alerts posted to a channel in one hour (expires)."""
        return self._k("chan", channel, "rate", hour)

    def digest(self, channel: str) -> str:
        """list of JSON alerts held for a channel's next digest."""
        return self._k("chan", channel, "digest")

    @property
    def digests_due(self) -> str:
        """zset channel → when its digest is due."""
        return self._k("digests", "due")

    def feed_followers(self, feed_id: str) -> str:
        """set of the channels that get every new item of a feed (feed mode)."""
        return self._k("feed", feed_id, "every")

    # Slack installations (bot.transports.slack.oauth via bot.store.installations)
    def installation(self, team: str) -> str:
        """hash: a Slack workspace's installation (bot token encrypted, ids, scopes).
        `team` is the workspace id (T…), or the enterprise id (E…) of an org-wide install;
        fields `bot`, `latest`, `user:<id>`, each a Fernet token of the record's JSON."""
        return self._k("slack", "install", team)

    @property
    def installations(self) -> str:
        """set of the `installation` ids (T… or E…) that have one."""
        return self._k("slack", "installs")

    @property
    def org_teams(self) -> str:
        """hash workspace id → enterprise id: the workspaces seen under an org-wide
        install (an alert to slack:<team>:… finds its org's bot token through it)."""
        return self._k("slack", "orgteams")

    def oauth_state(self, state: str) -> str:
        """string: an OAuth install flow's state, single use (expires)."""
        return self._k("slack", "oauth", state)

    # housekeeping (bot.pipeline.housekeeping)
    def chore_lock(self, chore: str) -> str:
        """string, SET NX PX: held by the one process running a periodic chore now."""
        return self._k("chore", chore)
