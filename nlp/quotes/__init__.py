"""Quotations and who said them, in French and English news text.

:func:`find_quotes` returns the quotations of a text as :class:`Quote` records:

* **direct** quotes between « … », “ … ”, ‹ … › or straight " … " marks. Quotes of one or two
  words are scare quotes ("une IA « librement accessible »") and are skipped unless a speech
  verb stands right beside them ("« Mensonge », a répondu OpenAI").
* **reported** speech without marks: "Selon OpenAI, Musk voulait…", "…, selon la plainte",
  "La société affirme que…", "Musk argued that…", "Pour OpenAI, …" (French only).

The speaker comes from the quote's own sentence, in this order: a speech verb right after the
quote ("« … », a déclaré X", "“…,” Musk said", "“…,” said Musk"), a speaker and a speech verb
before it ("X a déclaré que « … »", "X wrote: “…”"), then "selon X" / "d'après X" /
"according to X" anywhere in the sentence. A speaker is written either as a run of
capitalised words with their particles ("Elon Musk", "Ursula von der Leyen") or as a short
noun phrase from a list of speaking roles ("le milliardaire", "l'entrepreneur", "the company",
"les avocats d'Elon Musk"). A pronoun ("il", "he") leaves the speaker unknown.

Offsets are into the text as given. The text is normalised first (curly apostrophes to
``'``, no-break spaces to spaces), which keeps every character in place, so ``Quote.text`` and
``Quote.speaker`` are slices of the normalised text.

The package, by responsibility: :mod:`.lexicon` (speech verbs, speaker roles),
:mod:`.grammar` (the patterns built from them), :mod:`.find` (:func:`find_quotes`).
"""

from .find import MIN_WORDS, Quote, find_quotes

__all__ = ["MIN_WORDS", "Quote", "find_quotes"]
