"""Language processing for grokwatch: catalog matching, discovery, salience.

Nothing in this package imports the bot, the store or any chat SDK.
"""
