"""Sentence retrieval for ``/grok ask``: French and English questions over ingested articles.

An article is cut into :class:`Passage` objects, one per sentence (sentence 0 is the title),
each carrying the catalog entities and the dates it mentions and the sentence after it
(:func:`split_passages`). :class:`Ranker` orders the passages for a question and says whether
the best one answers it well enough (:meth:`Ranker.answerable`). ``benchmarks/story.py``
measures it against Okapi BM25 (the ``rank-bm25`` library) on held-out stories.

How :class:`Ranker` scores a sentence:

* **Terms in both languages.** Words are folded (case, accents), stop words dropped, and cut
  by the rule-based French/English stemmer :func:`nlp.text.stem`, cheaper than a spaCy
  lemmatizer and good enough for matching ("fondée", "fonder", "fondateur" -> "fond").
  A small FR<->EN concept map (:data:`CONCEPTS`) then merges the story's key words across
  languages ("plainte", "procès", "lawsuit", "sued" -> one unit), with month names and small
  number words, so that a French question can find an English sentence and back.
* **Entities.** Names in the question resolved through the catalog (aliases and short forms:
  "Musk", "Grok-1") become entity units, matched against the catalog ids of each passage;
  entity names are the same in every language, so they carry most of the cross-language
  matching. An entity unit weighs more than a word.
* **Coverage, not raw BM25.** A passage's relevance is the share of the question's units
  (weighted by their inverse document frequency, with BM25 term saturation and length
  normalisation) that it holds, so scores are comparable between questions, which is what
  lets a fixed threshold refuse unrelated questions.
* **A general FR<->EN lexicon** (``nlp/data/lexicon.txt``: roles, money, law, companies,
  verbs of the news) extends the concept map; numbers are written alike in both languages.
* **Fusion by rank.** The coverage ranking and Okapi BM25 over exact folded words are fused
  by reciprocal rank; a passage's next sentence counts for half.
* **Answer typing, required** (:mod:`.answers`): who -> a name not in the question, when ->
  a date, how much / how many -> a number with the asked unit, which company -> an
  organisation, why -> a reason clause. Typed passages come first; the others keep half
  their confidence.
* **Refusal by coverage.** A name of the question that no passage holds gives confidence 0;
  otherwise the best passage's coverage must reach the threshold.
* **Shape.** Very short sentences and boilerplate (captions, "Passer au contenu", newsletter
  calls) are penalised; earlier sentences of an article get a slight edge.

The index of a passage collection is built on first use and reused while the same sequence
object is passed again, so ranking costs a few posting-list lookups per question.

The package, by responsibility: :mod:`.passages` (articles cut into passages),
:mod:`.units` (stems, concepts, the lexicon), :mod:`.questions` (language, kind and words
of a question), :mod:`.answers` (answer types), :mod:`.index` (posting lists),
:mod:`.ranker` (the ranker).
"""

from .answers import answer_type, has_answer
from .passages import Passage, split_passages
from .questions import Query, question_language
from .ranker import Ranker
from .units import CONCEPTS, LEXICON, units

__all__ = [
    "CONCEPTS",
    "LEXICON",
    "Passage",
    "Query",
    "Ranker",
    "answer_type",
    "has_answer",
    "question_language",
    "split_passages",
    "units",
]
