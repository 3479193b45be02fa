"""grokwatch: the bot's wiring, store, ingestion, stream workers and transports."""

__version__ = "0.1.0"
