"""A small deterministic language detector: Unicode script first, stopwords for Latin text.

No model and no download. Letters are counted per script (from ``unicodedata.name``); a
dominant non-Latin script decides directly (Han -> zh unless kana are present -> ja, Hangul ->
ko, Cyrillic -> ru, ...). Latin text is scored by the share of its tokens that are frequent
function words of each language; the best language wins with
``confidence = best_hits / max(total_hits, 1) * min(1, total_hits / 5)`` so that a short text
with two stopwords is not trusted much. Code blocks (``` fenced) are removed first: code is
written in English keywords whatever the prose language.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to is in that it for you with this are be on as was have not or by an "
        "what can your at from which will if how we they there their would should"
    ),
    "fr": _words(
        "le la les des et est une un du que qui dans pour pas sur avec ce cette sont vous "
        "nous il elle au aux mais ou comme plus par"
    ),
    "de": _words(
        "der die das und ist nicht ein eine zu den mit von sich auf für ich sie es dem auch "
        "wie wir oder aber werden sind"
    ),
    "es": _words(
        "el la los las y es un una que de en por para con no se del al lo como pero más su "
        "sus este esta son"
    ),
    "it": _words(
        "il lo la gli le e è un una che di in per con non si del della sono come ma più "
        "questo questa anche"
    ),
    "pt": _words(
        "o a os as e é um uma que de em para com não se do da dos das como mas mais este esta "
        "são você"
    ),
    "nl": _words(
        "de het een en is van dat niet ik je zijn op te met voor er maar ook als bij wat dit deze"
    ),
}

# word -> the languages whose stopword list holds it (one dict lookup per token).
_WORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in STOPWORDS.items():
    for _word in _vocab:
        _WORD_LANGUAGES[_word] = (*_WORD_LANGUAGES.get(_word, ()), _lang)

SCRIPT_LANGUAGE = {
    "CYRILLIC": "ru",
    "GREEK": "el",
    "ARABIC": "ar",
    "HEBREW": "he",
    "HANGUL": "ko",
    "DEVANAGARI": "hi",
    "THAI": "th",
}

_FENCE = re.compile(r"```.*?```", re.DOTALL)
_DROP_ASCII_LETTERS = str.maketrans("", "", string.ascii_letters)  # str.translate: C speed
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float


def _script(char: str) -> str:
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "OTHER"
    if name.startswith("CJK"):
        return "HAN"
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return "KANA"
    return name.split(" ", 1)[0]


def detect_language(text: str, *, min_letters: int = 20) -> Detection | None:
    """The language of ``text`` as an ISO 639-1 code, or ``None`` when it cannot tell."""
    prose = _FENCE.sub(" ", text)
    # ASCII letters are Latin: count them in C and name only the other letters' scripts.
    ascii_letters = len(prose) - len(prose.translate(_DROP_ASCII_LETTERS))
    scripts: dict[str, int] = {"LATIN": ascii_letters} if ascii_letters else {}
    for char in _NON_ASCII.findall(prose):
        if char.isalpha():
            script = _script(char)
            scripts[script] = scripts.get(script, 0) + 1
    letters = sum(scripts.values())
    if letters < min_letters:
        return None
    script, count = max(scripts.items(), key=lambda kv: kv[1])
    share = count / letters
    if script in ("HAN", "KANA"):
        cjk = scripts.get("HAN", 0) + scripts.get("KANA", 0)
        return Detection("ja" if scripts.get("KANA", 0) else "zh", cjk / letters)
    if script in SCRIPT_LANGUAGE:
        return Detection(SCRIPT_LANGUAGE[script], share)
    if script != "LATIN":
        return None
    hits = dict.fromkeys(STOPWORDS, 0)
    for token in _WORD.findall(prose.lower()):
        for lang in _WORD_LANGUAGES.get(token, ()):
            hits[lang] += 1
    total = sum(hits.values())
    if total == 0:
        return None
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    confidence = hits[best] / total * min(1.0, total / 5) * share
    return Detection(best, confidence)
