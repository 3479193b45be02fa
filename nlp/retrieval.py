"""Sentence retrieval for ``/grok ask``: French and English questions over ingested articles.

An article is cut into :class:`Passage` objects, one per sentence (sentence 0 is the title),
each carrying the catalog entities and the dates it mentions (:func:`split_passages`).
:class:`Ranker` orders the passages for a question and says whether the best one answers
it well enough (:meth:`Ranker.answerable`); :class:`BM25Baseline` is plain Okapi BM25 over
whole sentences, the yardstick of ``benchmarks/story.py``.

How :class:`Ranker` scores a sentence:

* **Terms in both languages.** Words are folded (case, accents), stop words dropped, and cut
  by a small rule-based French/English suffix stemmer (:func:`stem`), cheaper than a spaCy
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
* **Question type.** "quand / when / en quelle année" favours sentences with a date,
  "qui / who" sentences naming a person (or, for "quelle entreprise / which company", an
  organisation) beyond those of the question, "combien / how many" sentences with numbers.
* **Shape.** Very short sentences and boilerplate (captions, "Passer au contenu", newsletter
  calls) are penalised; earlier sentences of an article get a slight edge.

The index of a passage collection is built on first use and reused while the same sequence
object is passed again, so ranking costs a few posting-list lookups per question.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

from .catalog import Catalog
from .dates import DateMention, find_dates
from .lang import detect_language
from .terms import STOPWORDS, terms
from .text import alias_key, fold, normalize_text

if TYPE_CHECKING:
    from .pipeline import Analyzer

__all__ = [
    "CONCEPTS",
    "BM25Baseline",
    "Passage",
    "Query",
    "Ranker",
    "question_language",
    "split_passages",
    "stem",
]

logger = logging.getLogger(__name__)

QuestionKind = Literal["when", "who", "which-org", "count", "where", "other"]

# --------------------------------------------------------------------------------------
# Passages
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of one article, the unit ``/grok ask`` answers with."""

    article_id: str
    sentence: str  # whitespace-normalised
    index: int  # sentence number in the article (0 = title)
    lang: str
    published: date | None = None
    entities: tuple[str, ...] = ()  # catalog ids mentioned in this sentence
    dates: tuple[tuple[int, int | None], ...] = ()  # (year, month) of dates mentioned


_SENTENCE_END: Final = re.compile(r"(?<=[.!?…])[»\"”)]?\s+(?=[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])")


def _split_sentences(text: str) -> list[str]:
    """Rule-based sentence split, used when no analyzer is given: lines, then end marks."""
    out: list[str] = []
    for line in normalize_text(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        out.extend(part for part in (p.strip() for p in _SENTENCE_END.split(line)) if part)
    return out


def _only_dates(sentence: str, found: Sequence[DateMention]) -> bool:
    """Whether a sentence is nothing but its dates ("Décembre 2015.", "11 mars 2024 :")."""
    rest = sentence
    for mention in sorted(found, key=lambda d: -d.start):
        rest = rest[: mention.start] + rest[mention.end :]
    return not any(ch.isalnum() for ch in rest)


def split_passages(
    article_id: str,
    title: str,
    text: str,
    *,
    lang: str,
    published: date | None,
    analyzer: Analyzer | None = None,
) -> list[Passage]:
    """The sentences of an article as passages, in order, the title first (index 0).

    With an ``analyzer``, its sentence boundaries are used and each passage carries the
    catalog ids that :meth:`Analyzer.mentions` finds in that sentence; without one, a
    rule-based splitter is used and passages carry no entities. Dates come from
    :func:`nlp.dates.find_dates`, relative ones resolved against ``published``.
    """
    sentences: list[str]
    per_sentence: dict[int, list[str]] = {}
    if analyzer is not None:
        analysis = analyzer.fast([(title, text)], [lang])[0]
        sentences = list(analysis.sentences)
        for mention in analyzer.mentions(title, text, lang):
            ids = per_sentence.setdefault(mention.sent_index, [])
            if mention.entity_id not in ids:
                ids.append(mention.entity_id)
    else:
        sentences = [normalize_text(title).strip(), *_split_sentences(text)]
    passages: list[Passage] = []
    pending: Passage | None = None
    for index, raw in enumerate(sentences):
        sentence = " ".join(raw.replace("**", "").split())
        if not sentence:
            continue
        if index == 1 and passages and passages[0].index == 0:
            head = passages[0].sentence.rstrip(" .")
            if head and sentence.startswith(head):
                passages.pop()  # the title is only the start of the first sentence
        found = find_dates(sentence, published, lang)
        dates = tuple(dict.fromkeys((d.year, d.month) for d in found))
        entities = tuple(per_sentence.get(index, ()))
        if pending is not None:
            # a date heading ("**Février 2018.**") belongs to the sentence it introduces
            sentence = f"{pending.sentence} {sentence}"
            entities = tuple(dict.fromkeys((*pending.entities, *entities)))
            dates = tuple(dict.fromkeys((*pending.dates, *dates)))
            index = pending.index
            pending = None
        elif index > 0 and found and _only_dates(sentence, found):
            pending = Passage(article_id, sentence, index, lang, published, entities, dates)
            continue
        passages.append(Passage(article_id, sentence, index, lang, published, entities, dates))
    if pending is not None:
        passages.append(pending)
    return passages


# --------------------------------------------------------------------------------------
# Words: stop words, stemmer, concepts
# --------------------------------------------------------------------------------------

_QUESTION_WORDS: Final = (
    "quel quelle quels quelles lequel laquelle lesquels combien comment pourquoi quoi "
    "qu est-ce estce t-il t-elle il elle ils elles etait etaient ete etre avoir aurait "
    "many much what which who whom whose when where why how did does do is are was "
    "there their the one ones dit exactement vraiment aujourd hui font faire fais"
)
_STOP: Final = frozenset(fold(w) for w in STOPWORDS) | frozenset(_QUESTION_WORDS.split())

# Longest first; a suffix is only cut when at least ``_MIN_STEM`` characters remain.
_SUFFIXES: Final = tuple(
    sorted(
        [
            "issements",
            "issement",
            "ements",
            "ement",
            "ations",
            "ation",
            "ateurs",
            "ateur",
            "atrices",
            "atrice",
            "euses",
            "euse",
            "eux",
            "iques",
            "ique",
            "ismes",
            "isme",
            "istes",
            "iste",
            "ments",
            "ment",
            "ances",
            "ance",
            "ences",
            "ence",
            "ites",
            "ite",
            "ives",
            "ive",
            "eurs",
            "eur",
            "ions",
            "ion",
            "aient",
            "ait",
            "ant",
            "ent",
            "ees",
            "ee",
            "es",
            "er",
            "ez",
            "e",
            "ings",
            "ing",
            "edly",
            "ed",
            "ly",
            "ies",
            "ers",
            "s",
        ],
        key=len,
        reverse=True,
    )
)
_MIN_STEM: Final = 3
_MAX_STEM: Final = 8


def stem(word: str) -> str:
    """A light French/English stem of a folded word: "fondateurs" -> "fond".

    Numbers and words with digits are kept whole. One suffix is removed (the longest that
    leaves at least three letters), then the stem is cut to eight letters.
    """
    if len(word) <= _MIN_STEM or any(ch.isdigit() for ch in word):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    return word[:_MAX_STEM]


# Concept units shared by both languages: every word of a line stems to the same unit.
CONCEPTS: Final[dict[str, str]] = {
    "open": "open-source opensource opensourcing open sourcer sourcing libre libres ouvrir "
    "ouvert ouverte ouverture ouvrira openness",
    "licence": "licence licences license licensed licensing",
    "sue": "poursuivre poursuivi poursuite poursuites proces plainte plaintes lawsuit lawsuits "
    "sue sued suing suit:en complaint justice court:en tribunal attaque attaquer judiciaire "
    "juridique",
    "found": "fonder fonde fondee fondateur fondateurs fondatrice cofonder cofonde cofondee "
    "cofondateur cofondateurs co-fondee co-fonde founded founder founders founding found "
    "cofounder cofounders co-founder co-founders "
    # a company is founded or created alike ("xAI est créée", "the company was set up")
    "creer cree creee creation created create creates setup establish established",
    "leave": "quitter quitte quittait quittera depart left leave leaves leaving departure",
    "param": "parametre parametres parameter parameters",
    "weights": "poids weights weight",
    "release": "publier publie publiee publication publies released release releases "
    "publish published",
    "distribute": "diffuser diffuse distribue distribues distribute distributes distributed "
    "circulent circulate circulates torrent torrents",
    "announce": "annoncer annonce annoncee annonces announce announced announcement "
    "officialise officialiser unveil unveiled unveils devoiler devoile devoilee presente "
    "presentee presenter introduce introduced",
    "reply": "repondre repondu reponse riposte replique repliquer reply replied respond "
    "responded response answer answered reagi reagir",
    "email": "courriel courriels email emails e-mail e-mails mail mails",
    "chip": "puce puces chip chips",
    "name": "nom noms name names named nomme",
    "billion": "milliard milliards billion billions",
    "million": "million millions",
    "experts": "expert experts",
    "company": "entreprise entreprises societe societes company companies firme firm firms "
    "start-up startup startups",
    "chatbot": "chatbot chatbots conversationnel assistant",
    "board": "conseil board",
    "training": "entrainement entrainer pre-entrainement training trained train pre-training "
    "pretraining",
    "data": "donnees data",
    "window": "fenetre window",
    "context": "contexte context",
    "hardware": "materiel hardware machine machines gpu gpus",
    "investor": "investisseur investisseurs investor investors venture",
    "lead": "dirige diriger dirigeant dirigeants patron chief executive ceo leads lead runs heads",
    "value": "valorisation valeur vaut valued valuation worth",
    "merge": "fusion fusionner fusionne merge merger merged",
    "partner": "partenariat partenaire partnership partner",
    "exclusive": "exclusif exclusive",
    "lawyer": "avocat avocats lawyers lawyer attorneys",
    "word": "mot verbe word verb",
    "origin": "origine origin origins vient viennent provient emprunte borrowed",
    "coin": "invente inventer forge coined coin",
    "novel": "roman novel",
    "code": "code source",
    "model": "modele modeles model models",
    "finish": "acheve achevee termine terminee finished finish ended",
    "speed": "vitesse speed km/h",
    "discover": "decouvert decouverts decouvrir discovered discover",
    "rays": "rayon rayons ray rays",
    "gust": "rafale rafales gust gusts",
    "version": "version versions",
    "closed": "ferme fermee fermes fermees closed secret proprietaire proprietary",
    "humour": "humour humor",
    "week": "semaine week",
    "year": "annee annees an ans year years",
    "world": "monde world",
    "m1": "janvier january",
    "m2": "fevrier february",
    "m3": "mars march",
    "m4": "avril april",
    "m5": "mai may",
    "m6": "juin june",
    "m7": "juillet july",
    "m8": "aout august",
    "m9": "septembre september",
    "m10": "octobre october",
    "m11": "novembre november",
    "m12": "decembre december",
    "2": "deux two",
    "3": "trois three",
    "4": "quatre four",
    "5": "cinq five",
    "6": "six",
    "7": "sept seven",
    "8": "huit eight",
    "10": "dix ten",
}


def _concept_tables() -> dict[str, dict[str, str]]:
    """Stem -> concept unit, per language ("" = both); "court:en" is English only."""
    tables: dict[str, dict[str, str]] = {"": {}, "fr": {}, "en": {}}
    for concept, words in CONCEPTS.items():
        unit = concept if concept.isdigit() else "@" + concept
        for entry in words.split():
            word, _, lang = entry.partition(":")
            for term in terms(word):
                tables[lang].setdefault(stem(term), unit)
    return tables


_CONCEPT_OF: Final = _concept_tables()


def units(text: str, lang: str | None = None) -> list[str]:
    """The matching units of a text, in order: stems, or concepts shared by both languages.

    ``lang`` enables the concept words of one language only ("court" is a court of law in
    English, not in French, where it means short).
    """
    shared = _CONCEPT_OF[""]
    own = _CONCEPT_OF.get(lang or "", {})
    out: list[str] = []
    for term in terms(text):
        if term in _STOP:
            continue
        key = stem(term)
        out.append(own.get(key) or shared.get(key, key))
    return out


@functools.lru_cache(maxsize=8192)
def _cached_units(sentence: str, lang: str) -> tuple[str, ...]:
    return tuple(units(sentence, lang))


# --------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------

_WHEN: Final = re.compile(
    r"\b(?:quand|en quelle ann[ée]e|quelle ann[ée]e|[àa] quelle date|quelle date|depuis quand|"
    r"en quel mois|quel mois|quel jour|when|what year|which year|in what year|what date|"
    r"what month|on what day|what day)\b",
    re.IGNORECASE,
)
_WHO: Final = re.compile(r"\b(?:qui|who|whom)\b", re.IGNORECASE)
_WHICH_ORG: Final = re.compile(
    r"\b(?:quelle (?:entreprise|soci[ée]t[ée]|firme|start-?up)|quelles entreprises|"
    r"which (?:company|companies|firm|firms|start-?ups?|tech giant|giant)|what company)\b",
    re.IGNORECASE,
)
_COUNT: Final = re.compile(
    r"\b(?:combien(?: de| d')?|how many|how much|quelle taille|what size|how big|"
    r"quelle vitesse|how fast|valued at|vaut)\b",
    re.IGNORECASE,
)
_WHERE: Final = re.compile(
    r"\b(?:o[ùu]|where|dans quel(?:le)? (?:ville|pays|[ée]tat|tribunal))\b", re.IGNORECASE
)
# the words that frame a question without saying what it is about
_FRAME: Final = re.compile(
    r"\b(?:en quelle ann[ée]e|quelle ann[ée]e|[àa] quelle date|quelle date|en quel mois|"
    r"quel mois|quel jour|what year|which year|in what year|what date|what month|what day|"
    r"combien de|combien d'|combien|how many|how much|est-ce que|qu'est-ce qui|qu'est-ce que)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS: Final = [
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "douze",
    "douzaine",
    "two",
    "three",
    "four",
    "five",
    "seven",
    "eight",
    "nine",
    "ten",
    "twelve",
    "dozen",
]
_NUMBER: Final = re.compile(r"\d|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_YEAR_UNIT: Final = re.compile(r"^(?:1[89]|20)\d\d$|^@m\d+$")
_TOKEN: Final = re.compile(r"[^\W_][\w.\-']*", re.UNICODE)
_FR_MARKERS: Final = re.compile(
    r"\b(?:quand|qui|quel|quelle|quels|quelles|combien|comment|pourquoi|est-ce|"
    r"a-t-il|a-t-elle|o[ùu]|qu'|d'où|les|des|une|dans|avec|sous|été)\b|[éèêàùçâîôû]",
    re.IGNORECASE,
)
_EN_MARKERS: Final = re.compile(
    r"\b(?:when|who|what|which|how|why|where|did|does|do|is|are|was|were|the|of|"
    r"many|much|with|under)\b",
    re.IGNORECASE,
)


def question_language(question: str) -> str:
    """ "fr" or "en": the language of a (short) question, English when unsure."""
    text = normalize_text(question)
    found = detect_language(text)
    if found in ("fr", "en") and len(text.split()) >= 8:
        return found
    fr = len(_FR_MARKERS.findall(text))
    en = len(_EN_MARKERS.findall(text))
    if fr == en:
        return found if found in ("fr", "en") else "en"
    return "fr" if fr > en else "en"


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the ranker sees it."""

    text: str
    lang: str
    kind: QuestionKind
    entities: tuple[str, ...]  # catalog ids named in the question
    terms: tuple[str, ...]  # matching units of the rest of the question (see :func:`units`)


# --------------------------------------------------------------------------------------
# Index
# --------------------------------------------------------------------------------------

_BOILERPLATE: Final = re.compile(
    r"passer au contenu|aller au contenu|skip to (?:main )?content|capture d'[ée]cran|"
    r"abonnez-vous|newsletter|laisser un commentaire|votre adresse e-mail|"
    r"champs obligatoires|\bcommentaires?\b\s*$|photo by|\(files\)|/ afp\)|getty images|"
    r"all rights reserved|tous droits r[ée]serv[ée]s|sign up|subscribe|lire aussi|"
    r"read more|à lire|cookies?\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Index:
    """Posting lists of one passage collection, and what each article is about."""

    passages: Sequence[Passage]
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)
    average: float = 1.0
    # per article: the units of its title and the entity units of all its sentences
    context: dict[str, set[str]] = field(default_factory=dict)

    def df(self, unit: str) -> int:
        return len(self.postings.get(unit, ()))

    def idf(self, unit: str) -> float:
        n = len(self.lengths)
        df = self.df(unit)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _build_index(
    passages: Sequence[Passage], analyse: Iterable[tuple[int, Counter[str]]]
) -> _Index:
    index = _Index(passages, lengths=[0] * len(passages))
    total = 0
    for i, counts in analyse:
        length = sum(counts.values())
        index.lengths[i] = length
        total += length
        for unit, tf in counts.items():
            index.postings.setdefault(unit, []).append((i, tf))
        p = passages[i]
        about = index.context.setdefault(p.article_id, set())
        about.update(u for u in counts if u.startswith("#") or p.index == 0)
    index.average = total / len(passages) if passages else 1.0
    return index


class _Cached:
    """Keeps the index of the last passage sequence ranked (the store hands the same list)."""

    def __init__(self) -> None:
        self._seq: Sequence[Passage] | None = None
        self._size = -1
        self._index: _Index | None = None

    def get(self, passages: Sequence[Passage]) -> _Index | None:
        if passages is self._seq and len(passages) == self._size:
            return self._index
        return None

    def put(self, passages: Sequence[Passage], index: _Index) -> None:
        self._seq, self._size, self._index = passages, len(passages), index


# --------------------------------------------------------------------------------------
# Rankers
# --------------------------------------------------------------------------------------


def _plain_word(name: str) -> bool:
    """One word of letters, capitalised at most on its first letter ("Mistral", "grok")."""
    return name.isalpha() and not any(ch.isupper() for ch in name[1:])


class Ranker:
    """Our retrieval: stemmed terms, FR/EN concepts, entities, question type, refusal.

    Scores are in [0, ~1.5]: mostly the weighted share of the question's units a sentence
    holds (its coverage). :meth:`answerable` compares the best score with
    :attr:`threshold`.
    """

    K1: Final = 1.2
    B: Final = 0.5
    ENTITY_WEIGHT: Final = 1.6  # an entity unit weighs this much more than a word of same idf
    ENTITY_FLOOR: Final = 2.0  # and never less than this (common entities still count)
    CONTEXT_CREDIT: Final = 0.4  # share of a unit's weight when only the article holds it
    TYPE_BONUS: Final = 0.2
    NEAR_BONUS: Final = 0.15  # the date / number sits right next to the question's words
    EARLY_BONUS: Final = 0.06
    RERANK: Final = 50  # candidates looked at closely (proximity)

    def __init__(self, catalog: Catalog, *, threshold: float = 0.45) -> None:
        """``threshold``: the best score below which :meth:`answerable` says no.

        The default sits between the best score of an unrelated question (about 0.33) and
        the lowest score of a right first answer (about 0.56) on our evaluation set.
        """
        self.catalog = catalog
        self.threshold = threshold
        self._cache = _Cached()
        self._types = {info.id: info.type for info in catalog}

    # --- questions ---------------------------------------------------------------------
    def _resolve(self, words: list[str]) -> str | None:
        """The catalog id a run of question words names, or ``None``."""
        if len(words) == 1:
            word = words[0]
            # "rayons X", "plan B": one letter is never enough; stop words never name
            if len(word) < 2 or fold(word) in _STOP:
                return None
        info = self.catalog.resolve(" ".join(words))
        if info is None:
            return None
        # lower-case words only name an entity through an alias that is not a plain word
        # ("openai", "xai", "elon musk"; not "mistral", "meta", "grok")
        if not any(w[:1].isupper() or any(c.isdigit() for c in w) for w in words):
            key = alias_key(" ".join(words))
            if not any(
                alias_key(alias) == key and not _plain_word(alias) for alias in info.aliases
            ):
                return None
        return info.id

    def _entity_spans(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """Catalog entities named by the tokens: (first token, end token, id), longest first."""
        found: list[tuple[int, int, str]] = []
        taken = [False] * len(tokens)
        for size in (4, 3, 2, 1):
            for i in range(len(tokens) - size + 1):
                if any(taken[i : i + size]):
                    continue
                ident = self._resolve(tokens[i : i + size])
                if ident is None:
                    continue
                found.append((i, i + size, ident))
                for j in range(i, i + size):
                    taken[j] = True
        return found

    def query(self, question: str) -> Query:
        """Language, type, entities and term units of a question."""
        text = normalize_text(question).strip()
        kind: QuestionKind = "other"
        if _WHEN.search(text):
            kind = "when"
        elif _WHICH_ORG.search(text):
            kind = "which-org"
        elif _COUNT.search(text):
            kind = "count"
        elif _WHO.search(text):
            kind = "who"
        elif _WHERE.search(text):
            kind = "where"
        lang = question_language(text)
        tokens = [m.group(0).rstrip(".'-") for m in _TOKEN.finditer(_FRAME.sub(" ", text))]
        spans = self._entity_spans(tokens)
        kept: list[str] = []
        for i, token in enumerate(tokens):
            if any(a <= i < b for a, b, _ in spans):
                # an entity's own words go, except versions ("Grok-1.5" keeps "1.5")
                kept.extend(p for p in re.split(r"[-\s]", token)[1:] if any(c.isdigit() for c in p))
            else:
                kept.append(token)
        entities = tuple(dict.fromkeys(ident for _, _, ident in spans))
        return Query(text, lang, kind, entities, tuple(dict.fromkeys(units(" ".join(kept), lang))))

    # --- index -------------------------------------------------------------------------
    @staticmethod
    def _passage_units(p: Passage) -> Counter[str]:
        counts = Counter(units(p.sentence, p.lang))
        for ident in p.entities:
            counts["#" + ident] += 1
        return counts

    def _index(self, passages: Sequence[Passage]) -> _Index:
        cached = self._cache.get(passages)
        if cached is None:
            cached = _build_index(
                passages, ((i, self._passage_units(p)) for i, p in enumerate(passages))
            )
            self._cache.put(passages, cached)
        return cached

    # --- ranking -----------------------------------------------------------------------
    @staticmethod
    def _shape(p: Passage, length: int) -> float:
        """Multiplier for sentence shape: short headings and boilerplate score less."""
        factor = 1.0
        words = len(p.sentence.split())
        if _BOILERPLATE.search(p.sentence):
            factor *= 0.15
        if words < 4:
            factor *= 0.35
        elif words < 7:
            factor *= 0.7
        if length > 60:
            factor *= 0.6
        return factor

    def _type_bonus(self, query: Query, p: Passage) -> float:
        """Bonus for a sentence holding the kind of thing the question asks for."""
        if query.kind == "when":
            return self.TYPE_BONUS if p.dates else 0.0
        if query.kind in ("who", "which-org"):
            wanted = ("person", "organisation") if query.kind == "who" else ("organisation",)
            others = [
                e for e in p.entities if e not in query.entities and self._types.get(e) in wanted
            ]
            return self.TYPE_BONUS if others else 0.0
        if query.kind == "count":
            return self.TYPE_BONUS if _NUMBER.search(p.sentence) else 0.0
        if query.kind == "where":
            places = any(self._types.get(e) == "place" for e in p.entities)
            return self.TYPE_BONUS if places else 0.0
        return 0.0

    def _near_bonus(self, query: Query, p: Passage) -> float:
        """For "when" and "how many": a date or number right next to a word of the question."""
        if query.kind not in ("when", "count") or not query.terms:
            return 0.0
        seq = _cached_units(p.sentence, p.lang)
        asked = set(query.terms)
        anchors = [i for i, u in enumerate(seq) if u in asked]
        if query.kind == "when":
            targets = [i for i, u in enumerate(seq) if _YEAR_UNIT.match(u)]
        else:
            targets = [
                i
                for i, u in enumerate(seq)
                if u not in asked and (u[0].isdigit() or u in _NUMBER_WORDS)
            ]
        if not anchors or not targets:
            return 0.0
        distance = min(abs(a - t) for a in anchors for t in targets)
        return self.NEAR_BONUS / distance if distance <= 4 else 0.0

    def rank(
        self, question: str, passages: Sequence[Passage], limit: int = 5
    ) -> list[tuple[Passage, float]]:
        """The ``limit`` best passages for ``question``, best first, with their scores."""
        if not passages or limit <= 0:
            return []
        index = self._index(passages)
        query = self.query(question)
        weights: dict[str, float] = {}
        missing = math.log(1.0 + (len(passages) + 0.5) / 0.5)
        for unit in query.terms:
            # a word no passage has still counts against coverage
            weights[unit] = index.idf(unit) if index.df(unit) else missing
        for ident in query.entities:
            unit = "#" + ident
            weights[unit] = max(self.ENTITY_FLOOR, self.ENTITY_WEIGHT * index.idf(unit))
        total = sum(weights.values())
        if total <= 0:
            return []
        gathered: dict[int, float] = {}
        held: dict[int, set[str]] = {}
        for unit, weight in weights.items():
            for i, tf in index.postings.get(unit, ()):
                if unit.startswith("#"):
                    sat = 1.0
                else:
                    norm = self.K1 * (1 - self.B + self.B * index.lengths[i] / index.average)
                    sat = min(1.25, tf * (1 + self.K1) / (tf + norm))
                gathered[i] = gathered.get(i, 0.0) + weight * sat
                held.setdefault(i, set()).add(unit)
        scored: list[tuple[float, int]] = []
        for i, matched in gathered.items():
            p = passages[i]
            about = index.context.get(p.article_id, set())
            for unit, weight in weights.items():
                if unit not in held[i] and unit in about:
                    matched += self.CONTEXT_CREDIT * weight
            coverage = matched / total
            score = coverage * self._shape(p, index.lengths[i])
            if coverage >= 0.25:
                score += self._type_bonus(query, p) * min(1.0, coverage * 1.5)
                score += self.EARLY_BONUS / (1.0 + max(p.index - 1, 0) / 4.0)
            scored.append((score, i))
        scored.sort(key=lambda si: (-si[0], si[1]))
        if query.kind in ("when", "count"):
            head = [
                (s + self._near_bonus(query, passages[i]) * min(1.0, s), i)
                for s, i in scored[: self.RERANK]
            ]
            scored = sorted(head, key=lambda si: (-si[0], si[1])) + scored[self.RERANK :]
        return [(passages[i], round(s, 4)) for s, i in scored[:limit]]

    def answerable(self, ranked: Sequence[tuple[Passage, float]]) -> bool:
        """Whether the best passage answers well enough; False: say "I don't know"."""
        return bool(ranked) and ranked[0][1] >= self.threshold


class BM25Baseline:
    """Plain Okapi BM25 over whole sentences (folded terms, stop words out, no stemming)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        """Okapi parameters ``k1`` and ``b``."""
        self.k1 = k1
        self.b = b
        self._cache = _Cached()

    def _index(self, passages: Sequence[Passage]) -> _Index:
        cached = self._cache.get(passages)
        if cached is None:
            cached = _build_index(
                passages, ((i, Counter(terms(p.sentence))) for i, p in enumerate(passages))
            )
            self._cache.put(passages, cached)
        return cached

    def rank(
        self, question: str, passages: Sequence[Passage], limit: int = 5
    ) -> list[tuple[Passage, float]]:
        """The ``limit`` passages with the highest BM25 score, best first."""
        if not passages or limit <= 0:
            return []
        index = self._index(passages)
        scores: dict[int, float] = {}
        for term in dict.fromkeys(terms(question)):
            idf = index.idf(term)
            for i, tf in index.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * index.lengths[i] / index.average)
                scores[i] = scores.get(i, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(passages[i], round(s, 4)) for i, s in best]
