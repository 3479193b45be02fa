"""The raw Slack payloads the Slack transport reads and writes, as TypedDicts.

Only the keys the transport uses are listed; Slack sends many more. Shapes follow Slack's
documentation of slash commands, the Events API (`app_mention`, `app_home_opened`),
`block_actions` interactions, `users.info` and `chat.postMessage`.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class SlashCommandPayload(TypedDict):
    """A slash command as Slack posts it (form-encoded; bolt turns it into a dict)."""

    command: str  # "/grok"
    text: str  # what follows the command: "track Elon Musk"
    team_id: str
    channel_id: str
    user_id: str
    response_url: NotRequired[str]
    trigger_id: NotRequired[str]
    team_domain: NotRequired[str]
    channel_name: NotRequired[str]
    user_name: NotRequired[str]
    enterprise_id: NotRequired[str]


class AppMentionEvent(TypedDict):
    """`@grokwatch story` in a channel."""

    type: str  # "app_mention"
    user: str
    text: str  # "<@UBOT> story"
    ts: str
    channel: str
    team: NotRequired[str]
    thread_ts: NotRequired[str]
    bot_id: NotRequired[str]


class AppHomeOpenedEvent(TypedDict):
    type: str  # "app_home_opened"
    user: str
    channel: str  # the DM channel with the app
    tab: str  # "home" or "messages"


class EventCallback(TypedDict):
    """The envelope of an Events API event."""

    type: str  # "event_callback"
    team_id: str
    api_app_id: NotRequired[str]
    event: dict[str, Any]
    event_id: NotRequired[str]
    event_time: NotRequired[int]


class IdRef(TypedDict):
    id: str


class BlockAction(TypedDict):
    """One pressed button of a `block_actions` interaction."""

    type: str  # "button"
    action_id: str  # "grok_untrack:0"
    value: NotRequired[str]
    block_id: NotRequired[str]
    action_ts: NotRequired[str]


class ActionContainer(TypedDict, total=False):
    type: str  # "message" or "view"
    channel_id: str
    message_ts: str
    thread_ts: str  # a message in a thread: the thread's parent
    view_id: str


class BlockActionsPayload(TypedDict):
    """A button press (bolt has decoded the form's `payload` JSON)."""

    type: str  # "block_actions"
    team: IdRef
    user: IdRef
    actions: list[BlockAction]
    container: NotRequired[ActionContainer]
    channel: NotRequired[IdRef]
    message: NotRequired[dict[str, Any]]
    response_url: NotRequired[str]
    trigger_id: NotRequired[str]


class SlackUser(TypedDict, total=False):
    """`users.info` → `user` (with `include_locale=true`)."""

    id: str
    is_admin: bool
    is_owner: bool
    is_primary_owner: bool
    is_bot: bool
    deleted: bool
    locale: str  # "fr-FR"


class TextObject(TypedDict, total=False):
    type: str  # "mrkdwn" or "plain_text"
    text: str
    verbatim: bool
    emoji: bool


class MessageMetadata(TypedDict):
    event_type: str
    event_payload: dict[str, Any]


class MessageKwargs(TypedDict):
    """One message of a rendered Reply: the keyword arguments of `chat.postMessage`
    (without `channel`, `thread_ts` and `metadata`, which depend on where it goes)."""

    text: str  # the notification and fallback text
    blocks: list[dict[str, Any]]
    unfurl_links: bool
    unfurl_media: bool
