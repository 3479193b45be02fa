"""The Slack transport end to end: signed requests in Slack's real formats to the app's
HTTP endpoint (real slack-bolt verifying them), answers and alerts through the real
slack_sdk client to a loopback fake of Slack's Web API, on a real Redis."""
