"""The catalog matcher: a spaCy component that finds catalog entities on tokenizer-only docs.

It runs on ``spacy.blank(lang)`` pipelines so that tracked-entity alerts never wait for
statistical models. Matching is a :class:`spacy.matcher.PhraseMatcher` on the ``LOWER``
attribute (patterns are generated for case, accent, hyphen and space variants of every alias),
followed by per-match checks written in the catalog:

* the case rule of the alias (``cap``, ``exact``, ``not-upper``);
* forbidden left/right neighbours ("Nikola Tesla", "rayons X"), a hyphen being skipped;
* required context words within ``window`` tokens either side ("Mistral" needs "IA",
  "modèle", "start-up"...), and forbidden ones ("vent", "rafales"...);
* version suffixes on versioned entities ("Grok-1", "Llama 2", "Gemini 1.5") are part of
  the match and count as context; "GPT-4o" is its own entity and never becomes gpt-4;
* short forms ("Musk") count only after the long form ("Elon Musk") appeared earlier in the
  document, or when one of the entity's anchor entities (Tesla, xAI...) is in the document.

Overlapping matches are resolved longest first. The result is ``doc._.grokwatch``: spans
labelled with the entity id (built on access, from ``(entity id, start char, end char)``
tuples kept in ``doc.user_data["grokwatch_hits"]``, which is what the analyzer reads).

The tokenizer is adapted a little (see :func:`adapt_tokenizer`): a hyphen between letters and
digits is split off ("Grok-1" -> "Grok", "-", "1"), an English possessive is split off in
French text too ("Musk's"), and French elided articles are split off in English text.

Sentence boundaries come from :func:`nlp.text.sentence_starts`, the one splitter.

The package, by responsibility: :mod:`.docs` (tokenizer, doc plumbing, the sentences
component), :mod:`.rules` (alias rules compiled for matching), :mod:`.component` (the
matcher component and the fast pipeline).
"""

from .component import EXTENSION, FACTORY, HITS_KEY, CatalogMatcher, make_fast_pipeline
from .docs import SENTENCES, WORDS_KEY, adapt_tokenizer, doc_sentence_starts, make_doc

__all__ = [
    "EXTENSION",
    "FACTORY",
    "HITS_KEY",
    "SENTENCES",
    "WORDS_KEY",
    "CatalogMatcher",
    "adapt_tokenizer",
    "doc_sentence_starts",
    "make_doc",
    "make_fast_pipeline",
]
