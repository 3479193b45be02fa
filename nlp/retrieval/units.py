"""The matching units of ``/grok ask``: stems, and concepts shared by French and English.

A text's units are the stems (:func:`nlp.terms.terms`, :func:`nlp.text.stem`) of its words,
stop words and question words left out (:data:`STOP`); a small FR<->EN concept map
(:data:`CONCEPTS`) then merges the story's key words across languages ("plainte", "procès",
"lawsuit", "sued" -> one unit "@sue"), with month names and small number words, so that a
French question can find an English sentence and back. The general news vocabulary of
both languages (roles, money, law, companies, verbs of the news: "patron", "PDG", "boss",
"CEO" -> "@lead"; "filiale", "subsidiary"; "lancé", "launched") is data, in
``nlp/data/lexicon.txt`` (:data:`LEXICON`), read with the same rules.

Numbers are written alike in both languages before they become units: "1,3" and "1.3"
give "1.3", "30 000" and "30,000" give "30000".
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Final

from ..terms import STOPWORDS, terms

__all__ = ["CONCEPTS", "LEXICON", "STOP", "cached_units", "load_lexicon", "units"]

QUESTION_WORDS: Final = (
    "quel quelle quels quelles lequel laquelle lesquels combien comment pourquoi quoi "
    "qu est-ce estce t-il t-elle il elle ils elles etait etaient ete etre avoir aurait "
    "many much what which who whom whose when where why how did does do is are was "
    "there their the one ones dit exactement vraiment aujourd hui font faire fais"
)
STOP: Final = STOPWORDS | frozenset(QUESTION_WORDS.split())
"""The words that never make a unit: stop words, and the words that frame a question."""


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


LEXICON_PATH: Final = Path(__file__).resolve().parent.parent / "data" / "lexicon.txt"


def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, str]:
    """The concepts of a lexicon file: ``name -> "word word:en ..."`` (see the file's head)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, words = line.partition(":")
        if not sep or not words.strip():
            raise ValueError(f"{path}: not 'concept: words': {line!r}")
        out[name.strip()] = f"{out.get(name.strip(), '')} {words.strip()}".strip()
    return out


LEXICON: Final = load_lexicon()
"""The general FR<->EN news vocabulary, from ``nlp/data/lexicon.txt``."""


def _concept_tables() -> dict[str, dict[str, str]]:
    """Stem -> concept unit, per language ("" = both); "court:en" is English only.

    The story's :data:`CONCEPTS` come first: a stem keeps the first concept that claims it.
    """
    tables: dict[str, dict[str, str]] = {"": {}, "fr": {}, "en": {}}
    for concept, words in [*CONCEPTS.items(), *LEXICON.items()]:
        unit = concept if concept.isdigit() else "@" + concept
        for entry in words.split():
            word, _, lang = entry.partition(":")
            for term in terms(word):
                tables[lang].setdefault(term, unit)
    return tables


_CONCEPT_OF: Final = _concept_tables()
_THOUSANDS: Final = re.compile(r"(?<![\d.,])(\d{1,3})(?:[ ,](\d{3}))+(?![\d,]\d)")
_DECIMAL_COMMA: Final = re.compile(r"(?<=\d),(?=\d)")


def same_numbers(text: str) -> str:
    """Numbers written one way: "30 000" and "30,000" -> "30000", "1,3" -> "1.3"."""
    if not any(ch.isdigit() for ch in text):
        return text
    text = _THOUSANDS.sub(lambda m: m.group(0).replace(" ", "").replace(",", ""), text)
    return _DECIMAL_COMMA.sub(".", text)


def units(text: str, lang: str | None = None) -> list[str]:
    """The matching units of a text, in order: stems, or concepts shared by both languages.

    ``lang`` enables the concept words of one language only ("court" is a court of law in
    English, not in French, where it means short).
    """
    shared = _CONCEPT_OF[""]
    own = _CONCEPT_OF.get(lang or "", {})
    out: list[str] = []
    for term in terms(same_numbers(text), STOP):
        out.append(own.get(term) or shared.get(term, term))
    return out


@functools.lru_cache(maxsize=8192)
def cached_units(sentence: str, lang: str) -> tuple[str, ...]:
    """:func:`units` of a sentence, memoised (passages are ranked again and again)."""
    return tuple(units(sentence, lang))
