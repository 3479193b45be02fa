"""Slack, on slack-bolt's AsyncApp and slack_sdk, in six parts:

- `render`: Reply → Block Kit message kwargs within Slack's limits, mrkdwn escaping (pure);
- `commands`: slash command, mention and button payloads → `CommandRequest` (pure);
- `home`: the App Home tab (its view, its buttons, publishing it);
- `users`: who asks (admin flag, locale, the admin user group), cached;
- `transport`: Socket Mode or the signature-checked HTTP endpoint, ack first, answers,
  alerts with pacing, threads, idempotency and permanent failures that pause a channel;
- `types`: the raw payloads as TypedDicts.

`create(settings, core)` is what `bot.transports.create_transport("slack", ...)` calls.
"""

from __future__ import annotations

from bot.transports.slack.transport import SlackTransport, create

__all__ = ["SlackTransport", "create"]
