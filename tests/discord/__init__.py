"""The Discord transport against a loopback fake of Discord's REST API, with the real
discord.py pointed at it, the real pipeline and a real Redis."""
