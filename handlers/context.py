"""What a handler is given: the request and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.model import ChannelAddress
from handlers.ports import AnswerReader, ChartMaker, FeedService, IngestService, StoreProtocol
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer

CONSOLE_DEMO = ChannelAddress("console", "demo")


@dataclass(slots=True)
class CommandRequest:
    """A chat command, the same shape whatever platform it came from."""

    name: str
    args: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    channel: ChannelAddress = CONSOLE_DEMO  # parsed where the request came in
    user: str = "console:you"
    can_manage: bool = False  # may change this channel's settings (tracking, feeds)
    lang: str = "en"  # the language of the bot's own words in the reply
    # what the transport found out about the channel, for commands that set up alerts:
    # the permissions the bot lacks there (their names), and its kind ("text", "forum")
    bot_missing: tuple[str, ...] = ()
    channel_kind: str = "text"

    @property
    def where(self) -> str:
        """The channel whose subscriptions, feeds and settings the command reads and
        changes: in a thread (a story's follow-ups, a forum post), its parent channel."""
        return str(self.channel.base)

    @property
    def tenant(self) -> str:
        """The tenant the command runs for: its Discord guild, Slack workspace, or the
        console (`ChannelAddress.scope_key`)."""
        return self.channel.scope_key


@dataclass(slots=True)
class HandlerContext:
    store: StoreProtocol
    catalog: Catalog
    ingest: IngestService | None = None
    charts: ChartMaker | None = None
    analyzer: Analyzer | None = None  # for passage-level entities in /grok ask
    feeds: FeedService | None = None  # /grok feeds
    max_results: int = 5
    reader: AnswerReader | None = None  # /grok ask's generative reader (GROKWATCH_LLM_URL)
