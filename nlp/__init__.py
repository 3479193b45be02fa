"""Language processing for grokwatch: text rules, catalog matching, discovery, dates, quotes.

Where each behaviour lives:

* :mod:`nlp.text`: the text rules every other module uses: normalising, folding (case,
  accents, ligatures), the one stemmer, the one sentence splitter, quotation spans.
* :mod:`nlp.terms`: index words and terms for search, built on :mod:`nlp.text`.
* :mod:`nlp.lang`: French or English.
* :mod:`nlp.catalog`, :mod:`nlp.matcher`: the entity catalog and the spaCy component that
  finds its entities; :mod:`nlp.discovery`: names not in the catalog (NER);
  :mod:`nlp.salience`: how central an entity is; :mod:`nlp.pipeline`: :class:`Analyzer`,
  the public API of all of that.
* :mod:`nlp.dates`, :mod:`nlp.quotes`: dates and quotations in sentences.
* :mod:`nlp.retrieval`: sentence retrieval for ``/grok ask``; :mod:`nlp.neardup`:
  near-duplicate detection.

Nothing in this package imports the bot, the store or any chat SDK.
"""
