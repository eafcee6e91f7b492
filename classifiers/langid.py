"""Offline language identification for listing text: script cues first, then py3langid.

Later stages pick a tokenizer, number conventions (``1.200`` is twelve hundred in
Vietnamese and 1.2 in English) and currency readings from the listing's language, so
each listing needs one project code: ``en zh zh-Hant vi th id ms fr es pt de ja``, or
``und`` when the text has no letters or is written in a script none of them uses.

Statistical models are weakest exactly where marketplace text is: a title of four
words, a phone number, a brand name. Scripts, on the other hand, are cheap and nearly
certain, so they decide first:

- Thai letters -> ``th``; kana -> ``ja``; Han without kana -> ``zh``, or ``zh-Hant``
  when the characters that differ between the two writing systems are mostly
  traditional (tables: ``fold.json`` plus ``langid.json``);
- letters only Vietnamese uses (ơ ư ă đ, ế, ộ ...) -> ``vi``;
- other Latin-script text goes to the py3langid model, restricted to the project's
  languages, and the result is nudged by cue words from ``langid.json`` that separate
  Indonesian from Malay and catch Vietnamese typed without diacritics.

The confidence is the model's (or the script's) share, scaled down for short text and
for text that mixes scripts, so a caller can tell a guess from a finding. Only the
first :data:`MAX_CHARS` characters are read: enough to decide, and it bounds the cost
of hostile input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from py3langid.langid import MODEL_FILE
from py3langid.langid import LanguageIdentifier as _ModelIdentifier

from classifiers.errors import LexiconError
from classifiers.normalize import DATA_DIR, FOLD_FILE

__all__ = [
    "LANGID_FILE",
    "MAX_CHARS",
    "MODEL_CHARS",
    "PROJECT_LANGUAGES",
    "UNDETERMINED",
    "LangIdData",
    "LanguageGuess",
    "LanguageIdentifier",
    "ScriptCounts",
]

LANGID_FILE = "langid.json"
#: Every code :meth:`LanguageIdentifier.identify` may return, besides :data:`UNDETERMINED`.
PROJECT_LANGUAGES: tuple[str, ...] = (
    "en",
    "zh",
    "zh-Hant",
    "vi",
    "th",
    "id",
    "ms",
    "fr",
    "es",
    "pt",
    "de",
    "ja",
)
UNDETERMINED = "und"
#: Characters read per text; listings state their language long before this.
MAX_CHARS = 2_000
#: Characters the statistical model reads (it walks every byte in Python, so it is the
#: costly step); its accuracy on listing text does not improve beyond this.
MODEL_CHARS = 200

_LATIN_LANGUAGES = frozenset({"en", "vi", "id", "ms", "fr", "es", "pt", "de"})
_HAN_LANGUAGES = frozenset({"zh", "ja"})
# A Han character or kana carries about a syllable, roughly three Latin or Thai letters.
_CJK_WEIGHT = 3
# Weighted letters from which the length of a text no longer lowers the confidence.
_FULL_LENGTH = 20.0
# Fewer weighted letters than this say nothing about a language (one Han character does).
_MIN_LETTERS = 3.0
# Confidence factor when Han text has no character that tells the two systems apart.
_UNKNOWN_VARIANT = 0.8

_LETTER_RE = re.compile(r"[^\W\d_]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Kana without the middle dot and the prolonged sound mark, which Chinese text uses too.
_KANA_RE = re.compile(r"[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fd-\u30ff\u31f0-\u31ff]")
_THAI_RE = re.compile(r"[\u0e01-\u0e5b]")
# Tokens that say nothing about the language: links, e-mail addresses, @handles.
_NOISE_RE = re.compile(r"\S*(?:https?://|www\.|\.com\b|\.me/|@)\S*", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z]+")
# Cue words count up to this many times: a nudge, never an overflow on long text.
_MAX_CUES = 6


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A listing's language as a project code, and how sure the guess is (0 to 1)."""

    lang: str
    confidence: float


@dataclass(frozen=True, slots=True)
class LangIdData:
    """The tables :class:`LanguageIdentifier` reads, from ``langid.json`` and ``fold.json``."""

    candidates: tuple[str, ...]
    model_labels: Mapping[str, str]
    cue_weight: float
    cue_words: Mapping[str, str]
    vietnamese_letters: frozenset[str]
    traditional: frozenset[str]
    simplified: frozenset[str]

    @classmethod
    def from_dir(cls, data_dir: str | Path | None = None) -> LangIdData:
        """Load and check the tables; raises :class:`LexiconError` naming the file."""
        root = Path(data_dir) if data_dir is not None else DATA_DIR
        raw = _read_json(root / LANGID_FILE)
        fold = _read_json(root / FOLD_FILE).get("traditional_to_simplified", {})
        path = root / LANGID_FILE
        candidates = raw.get("candidates")
        if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
            raise LexiconError(f"{path}: 'candidates' must be a list of language codes")
        labels = _str_map(raw, "model_labels", path)
        cue_weight = raw.get("cue_weight")
        if isinstance(cue_weight, bool) or not isinstance(cue_weight, int | float):
            raise LexiconError(f"{path}: 'cue_weight' must be a number")
        cue_words: dict[str, str] = {}
        for lang, words in _dict(raw, "cue_words", path).items():
            if lang not in PROJECT_LANGUAGES or not isinstance(words, list):
                raise LexiconError(f"{path}: cue_words[{lang!r}] must list words of a project code")
            for word in words:
                if not isinstance(word, str) or not _WORD_RE.fullmatch(word):
                    raise LexiconError(f"{path}: cue word {word!r} must be lower-case ASCII")
                if cue_words.setdefault(word, lang) != lang:
                    raise LexiconError(f"{path}: cue word {word!r} listed for two languages")
        extra = _str_map(raw, "traditional_to_simplified", path)
        table = {**fold, **extra}
        shared = set(_str(raw, "shared_han", path))
        return cls(
            candidates=tuple(candidates),
            model_labels=labels,
            cue_weight=float(cue_weight),
            cue_words=MappingProxyType(cue_words),
            vietnamese_letters=frozenset(_str(raw, "vietnamese_letters", path)),
            traditional=frozenset(k for k, v in table.items() if k != v) - shared,
            simplified=frozenset(v for k, v in table.items() if k != v) - shared - set(table),
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise LexiconError(f"{path}: expected a JSON object at the top level")
    return raw


def _dict(raw: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise LexiconError(f"{path}: {name!r} must be an object")
    return value


def _str_map(raw: Mapping[str, Any], name: str, path: Path) -> Mapping[str, str]:
    value = _dict(raw, name, path)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise LexiconError(f"{path}: {name!r} must map strings to strings")
    return MappingProxyType(dict(value))


def _str(raw: Mapping[str, Any], name: str, path: Path) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise LexiconError(f"{path}: {name!r} must be a non-empty string")
    return value


@dataclass(frozen=True, slots=True)
class ScriptCounts:
    """How many letters of each script a text has: the cheap, reliable evidence."""

    letters: int
    latin: int
    han: int
    kana: int
    thai: int
    vietnamese: int
    traditional: int
    simplified: int

    @classmethod
    def of(cls, text: str, patterns: _ScriptPatterns) -> ScriptCounts:
        """Count the letters of `text` by script (C-level regex scans, no Python loop)."""
        han = len(_HAN_RE.findall(text))
        latin = len(_LATIN_RE.findall(text))
        return cls(
            letters=len(_LETTER_RE.findall(text)),
            latin=latin,
            han=han,
            kana=len(_KANA_RE.findall(text)),
            thai=len(_THAI_RE.findall(text)),
            vietnamese=len(patterns.vietnamese.findall(text)) if latin else 0,
            traditional=len(patterns.traditional.findall(text)) if han else 0,
            simplified=len(patterns.simplified.findall(text)) if han else 0,
        )

    @property
    def weights(self) -> dict[str, float]:
        """Letters per script group, Han and kana weighted as syllables."""
        cjk = _CJK_WEIGHT * (self.han + self.kana)
        known = self.latin + self.han + self.kana + self.thai
        return {
            "cjk": float(cjk),
            "thai": float(self.thai),
            "latin": float(self.latin),
            "other": float(max(0, self.letters - known)),
        }


class _ScriptPatterns:
    """Character classes built from the data tables (Vietnamese letters, Han variants)."""

    __slots__ = ("simplified", "traditional", "vietnamese")

    def __init__(self, data: LangIdData) -> None:
        self.vietnamese = _char_class(data.vietnamese_letters)
        self.traditional = _char_class(data.traditional)
        self.simplified = _char_class(data.simplified)


def _char_class(chars: frozenset[str]) -> re.Pattern[str]:
    body = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"[{body}]" if body else r"(?!)")


class _Model:
    """py3langid restricted to the project's languages, with labels mapped to project codes."""

    def __init__(self, data: LangIdData) -> None:
        model = _ModelIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        model.set_languages(list(data.candidates))
        self._model = model
        self._labels = data.model_labels

    def rank(self, text: str, allowed: frozenset[str]) -> dict[str, float]:
        """Probabilities of the `allowed` project codes for `text`, summing to 1."""
        merged: dict[str, float] = {}
        for label, prob in self._model.rank(text):
            lang = self._labels.get(label, label)
            if lang in allowed:
                merged[lang] = merged.get(lang, 0.0) + prob
        return _normalised(merged)


def _normalised(scores: Mapping[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    if total <= 0:
        return {lang: 1.0 / len(scores) for lang in scores} if scores else {}
    return {lang: score / total for lang, score in scores.items()}


class LanguageIdentifier:
    """Names the language of one listing text; see the module docstring for the method.

    Loading reads the py3langid model (about a tenth of a second), so build one and
    reuse it; ``LanguageIdentifier.default()`` shares one for the shipped data.
    Instances are read-only after construction and safe to share across threads.
    """

    def __init__(self, data: LangIdData | None = None, *, max_chars: int = MAX_CHARS) -> None:
        self.data = data or LangIdData.from_dir()
        self.max_chars = max_chars
        self._patterns = _ScriptPatterns(self.data)
        self._model = _Model(self.data)

    @classmethod
    def default(cls) -> LanguageIdentifier:
        """The identifier for the shipped tables, built on first use and then shared."""
        return _default_identifier()

    def identify(self, text: str) -> LanguageGuess:
        """The language of `text` (a project code or ``und``) with a confidence in [0, 1]."""
        sample = text[: self.max_chars]
        counts = ScriptCounts.of(sample, self._patterns)
        if counts.letters == 0:
            return LanguageGuess(UNDETERMINED, 0.0)
        weights = counts.weights
        total = sum(weights.values())
        if total < _MIN_LETTERS:
            return LanguageGuess(UNDETERMINED, 0.0)  # "m" of an escape code, "x2"
        script = max(weights, key=weights.__getitem__)
        # Evidence shrinks with length and with the share of other scripts.
        strength = (weights[script] / total) * min(1.0, total / _FULL_LENGTH)
        if script == "thai":
            return _guess("th", strength)
        if script == "cjk":
            return self._han(sample, counts, strength)
        if script == "latin":
            return self._latin(sample, counts, strength)
        return LanguageGuess(UNDETERMINED, 0.0)

    def _han(self, sample: str, counts: ScriptCounts, strength: float) -> LanguageGuess:
        kana, cjk = counts.kana, counts.kana + counts.han
        if kana >= 2 or (kana and kana * 5 >= cjk):
            return _guess("ja", strength)
        if kana:
            # One kana in Chinese text is often decoration (の); let the model weigh it.
            ranked = self._model.rank(_clean(sample[:MODEL_CHARS]), _HAN_LANGUAGES)
            if ranked.get("ja", 0.0) > ranked.get("zh", 0.0):
                return _guess("ja", strength * ranked["ja"])
        traditional, simplified = counts.traditional, counts.simplified
        if traditional + simplified == 0:
            return _guess("zh", strength * _UNKNOWN_VARIANT)
        share = max(traditional, simplified) / (traditional + simplified)
        return _guess("zh-Hant" if traditional > simplified else "zh", strength * share)

    def _latin(self, sample: str, counts: ScriptCounts, strength: float) -> LanguageGuess:
        if counts.vietnamese >= 2 or (counts.vietnamese and counts.latin < 15):
            return _guess("vi", strength)
        cleaned = _clean(sample[:MODEL_CHARS])
        ranked = self._model.rank(cleaned, _LATIN_LANGUAGES)
        ranked = self._with_cues(ranked, cleaned)
        if not ranked:
            return LanguageGuess(UNDETERMINED, 0.0)
        lang = max(ranked, key=ranked.__getitem__)
        return _guess(lang, strength * ranked[lang])

    def _with_cues(self, ranked: dict[str, float], text: str) -> dict[str, float]:
        cues = self.data.cue_words
        hits: dict[str, int] = {}
        for word in _WORD_RE.findall(text.lower()):
            lang = cues.get(word)
            if lang is not None:
                hits[lang] = hits.get(lang, 0) + 1
        if not hits:
            return ranked
        weight = self.data.cue_weight
        return _normalised(
            {
                lang: prob * weight ** min(_MAX_CUES, hits.get(lang, 0))
                for lang, prob in ranked.items()
            }
        )


def _clean(text: str) -> str:
    return _NOISE_RE.sub(" ", text)


def _guess(lang: str, confidence: float) -> LanguageGuess:
    return LanguageGuess(lang, round(min(1.0, max(0.0, confidence)), 4))


@lru_cache(maxsize=1)
def _default_identifier() -> LanguageIdentifier:
    return LanguageIdentifier()
