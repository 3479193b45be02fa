"""The analysis pipeline: the stages as stream consumers (`stages`), the worker loop over
consumer groups (`streams`), and story assignment (`stories`). Their Redis work is done by
the store's repositories (`bot.store`)."""
