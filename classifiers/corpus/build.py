"""Build the labelled listing corpus and the evasion set from the phrase templates.

Run ``python -m classifiers.corpus.build`` (or this file as a script) to regenerate
``listings.jsonl`` and ``evasion.jsonl`` next to this module; ``--out DIR`` writes them
elsewhere. Output is byte-identical on every run: all randomness comes from
``random.Random`` seeded with strings derived from ``SEED`` and the template id.

Templates live in ``templates/<lang>.json`` (one file per language) and
``templates/evasion.json``. A template is a title and a description with slots:

* ``{name}`` names a pool (a list of fillers with a text ``t`` and optional family ``f``,
  species ``s`` and USD price range ``p``), a slot list, or a computed slot (``price``,
  ``contact``, ``phone``, ``handle``, ``email``, ``num``, ``big``, ``year``). A name is
  resolved once per listing, so the title and the description agree.
* ``{a|b|c}`` picks one alternative (an empty one makes the part optional); alternatives
  may nest slots and further choices.

The split is fixed per template: within each language x category the template ids are
ranked by a seeded hash and the first 70% go to train, then 15% dev and 15% test.
Only this standard library module is needed to build, so it runs before the package does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from classifiers.lexicon import FAMILIES as LEXICON_FAMILIES

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
SPECIES_FILE = HERE.parent / "data" / "species.json"
README_FILE = HERE / "README.md"
LISTINGS_NAME = "listings.jsonl"
EVASION_NAME = "evasion.jsonl"

SEED = "wildwatch-corpus-v1"
LANGS = ("en", "zh", "zh-Hant", "vi", "th", "id", "fr", "es", "pt", "de", "ja")
LABELS = {"offer": 1, "coded": 1, "wanted": 1, "lookalike": 0, "news": 0, "ordinary": 0}
CATEGORIES = tuple(LABELS)
# Listings drawn from each template, by category (positives come out near 40%).
PER_TEMPLATE = {"offer": 5, "coded": 5, "wanted": 4, "lookalike": 7, "news": 5, "ordinary": 8}
FAMILIES = LEXICON_FAMILIES  # the product families the classifier reports on
SPLITS = ("train", "dev", "test")
DEV_SHARE = TEST_SHARE = 0.15
TECHNIQUES = (
    "spaced_letters",
    "dotted_letters",
    "homoglyphs",
    "fullwidth",
    "leetspeak",
    "zero_width",
    "emoji",
    "code_word",
    "traditional_chinese",
    # Euphemisms no lexicon entry knows: a probe of generalisation, reported apart
    # from the target (the rules cannot know them; only the model might).
    "unlisted_code_word",
)
# The technique each template table disguises with (the rest change letters).
WORD_TABLES = {"emoji": "emoji", "code_word": "code", "unlisted_code_word": "unlisted"}
# Techniques that only make sense on Latin script.
LATIN_ONLY = frozenset({"homoglyphs", "fullwidth", "leetspeak"})
LATIN_LANGS = frozenset({"en", "vi", "id", "fr", "es", "pt", "de"})
EVASION_PER_LANG = 3  # plain offers disguised per language and technique
MAX_ATTEMPTS = 60
COMPUTED = frozenset({"price", "contact", "phone", "handle", "email", "num", "big", "year"})

HOMOGLYPHS = str.maketrans(
    {
        "a": "а",
        "c": "с",
        "e": "е",
        "i": "і",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "s": "ѕ",
        "v": "ν",
        "A": "А",
        "B": "В",
        "C": "С",
        "E": "Е",
        "H": "Н",
        "I": "І",
        "K": "К",
        "M": "М",
        "O": "О",
        "P": "Р",
        "T": "Т",
        "X": "Х",
    }
)
LEET = str.maketrans(
    {
        "a": "4",
        "e": "3",
        "i": "1",
        "o": "0",
        "s": "5",
        "t": "7",
        "A": "4",
        "E": "3",
        "I": "1",
        "O": "0",
    }
)
ZERO_WIDTH_SPACE = "\u200b"


class TemplateError(ValueError):
    """A template file is malformed or refers to something that does not exist."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Template:
    id: str
    lang: str
    category: str
    title: str
    description: str

    @property
    def label(self) -> int:
        return LABELS[self.category]


@dataclass
class Language:
    code: str
    currencies: list[tuple[str, float, float]]
    price_formats: dict[str, list[str]]
    contacts: list[str]
    phones: list[str]
    handles: list[str]
    strip_accents: float
    pools: dict[str, list[dict[str, Any]]]
    slots: dict[str, list[str]]
    templates: list[Template] = field(default_factory=list)


def _species_keys() -> frozenset[str]:
    data = json.loads(SPECIES_FILE.read_text(encoding="utf-8"))
    return frozenset(s["key"] for s in data["species"])


def load_language(code: str, species: frozenset[str]) -> Language:
    path = TEMPLATES_DIR / f"{code}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("lang") != code:
        raise TemplateError(f"{path.name}: lang is {raw.get('lang')!r}, expected {code!r}")
    lang = Language(
        code=code,
        currencies=[
            (c["code"], float(c["per_usd"]), float(c["weight"])) for c in raw["currencies"]
        ],
        price_formats=raw["price_formats"],
        contacts=raw["contacts"],
        phones=raw["phones"],
        handles=raw["handles"],
        strip_accents=float(raw.get("strip_accents", 0.0)),
        pools=raw["pools"],
        slots=raw["slots"],
    )
    for name, fillers in lang.pools.items():
        for filler in fillers:
            family = filler.get("f")
            if family is not None and family not in FAMILIES:
                raise TemplateError(f"{code} pool {name}: unknown family {family!r}")
            key = filler.get("s")
            if key is not None and key not in species:
                raise TemplateError(f"{code} pool {name}: unknown species {key!r}")
    for cur, _, _ in lang.currencies:
        if cur not in lang.price_formats:
            raise TemplateError(f"{code}: no price formats for {cur}")
    for category, items in raw["templates"].items():
        if category not in LABELS:
            raise TemplateError(f"{code}: unknown category {category!r}")
        for n, (title, description) in enumerate(items, start=1):
            tid = f"{code}-{category}-{n:02d}"
            lang.templates.append(Template(tid, code, category, title, description))
    names = set(lang.pools) | set(lang.slots) | COMPUTED
    for tpl in lang.templates:
        for name in _slot_names(tpl.title + tpl.description):
            if name.rstrip("0123456789") not in names:
                raise TemplateError(f"{tpl.id}: unknown slot {{{name}}}")
    return lang


# --------------------------------------------------------------------------- rendering


def _split_top(text: str, sep: str = "|") -> list[str]:
    """Split on ``sep`` outside nested braces."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _braced(text: str) -> Iterable[tuple[int, int]]:
    """Spans (start, end) of the top-level ``{...}`` groups in ``text``."""
    i = 0
    while i < len(text):
        if text[i] == "{":
            depth, j = 1, i + 1
            while depth:
                if j >= len(text):
                    raise TemplateError(f"unbalanced braces in {text!r}")
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            yield i, j
            i = j
        else:
            i += 1


def _slot_names(text: str) -> Iterable[str]:
    for start, end in _braced(text):
        parts = _split_top(text[start + 1 : end - 1])
        if len(parts) == 1:
            yield parts[0]
        else:
            for part in parts:
                yield from _slot_names(part)


def _nice(value: float, rng: random.Random) -> int:
    """Round a price the way sellers do: two or three significant digits."""
    if value < 10:
        return max(1, round(value))
    digits = rng.choice((2, 2, 3))
    scale = 10 ** max(0, len(str(int(value))) - digits)
    return max(1, int(round(value / scale) * scale))


def _group(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def _decimal(value: float, comma: bool) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if comma else text


def format_price(fmt: str, n: int) -> str:
    """Fill one price pattern; see the README for the placeholders."""

    def vn_millions() -> str:
        if n < 1_000_000:
            return f"{n // 1000}k"
        whole, rest = divmod(n, 1_000_000)
        tail = f"{rest:06d}".rstrip("0") if rest >= 10_000 else ""
        return f"{whole}tr{tail}"

    def id_millions() -> str:
        if n < 1_000_000:
            return f"{n // 1000}rb"
        return f"{_decimal(n / 1_000_000, comma=True)}jt"

    def wan() -> str:
        return f"{_decimal(n / 10_000, comma=False)}万" if n >= 10_000 else f"{n}元"

    def wan_hant() -> str:
        return f"{_decimal(n / 10_000, comma=False)}萬" if n >= 10_000 else f"{n}元"

    values: dict[str, Callable[[], str]] = {
        "n": lambda: str(n),
        "comma": lambda: _group(n, ","),
        "dot": lambda: _group(n, "."),
        "space": lambda: _group(n, " "),
        "cents": lambda: f"{n},00",
        "k": lambda: f"{_decimal(n / 1000, comma=False)}k" if n >= 1000 else str(n),
        "tr": vn_millions,
        "jt": id_millions,
        "wan": wan,
        "wan_hant": wan_hant,
    }
    out = fmt
    for key, make in values.items():
        token = "{" + key + "}"
        if token in out:
            out = out.replace(token, make())
    return out


def strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not _is_mark(c)))


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me") and ord(ch) < 0x0370


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r" +([,.!?;:])(?=\s|$)", r"\1", text)
    text = re.sub(r",(?=[.!?])", "", text)
    return text.strip()


class Renderer:
    """Fills one template for one listing; every slot name is chosen once."""

    def __init__(self, lang: Language, rng: random.Random) -> None:
        self.lang = lang
        self.rng = rng
        self.chosen: dict[str, str] = {}
        self.fillers: dict[str, dict[str, Any]] = {}
        self.price_shown = False
        self._price: tuple[int, str] | None = None

    def render(self, text: str) -> str:
        out, last = [], 0
        for start, end in _braced(text):
            out.append(text[last:start])
            parts = _split_top(text[start + 1 : end - 1])
            if len(parts) > 1:
                out.append(self.render(self.rng.choice(parts)))
            else:
                out.append(self.resolve(parts[0]))
            last = end
        out.append(text[last:])
        return "".join(out)

    def resolve(self, name: str) -> str:
        if name not in self.chosen:
            self.chosen[name] = self._make(name)
        return self.chosen[name]

    def filler(self, pool: str) -> dict[str, Any]:
        if pool not in self.fillers:
            self.fillers[pool] = self.rng.choice(self.lang.pools[pool])
        return self.fillers[pool]

    def price(self, usd: tuple[float, float]) -> tuple[int, str]:
        if self._price is None:
            codes = [c for c, _, _ in self.lang.currencies]
            weights = [w for _, _, w in self.lang.currencies]
            code = self.rng.choices(codes, weights)[0]
            rate = next(r for c, r, _ in self.lang.currencies if c == code)
            self._price = (_nice(self.rng.uniform(*usd) * rate, self.rng), code)
        return self._price

    def _digits(self, pattern: str) -> str:
        return re.sub(r"#", lambda _: str(self.rng.randrange(10)), pattern)

    def _make(self, name: str) -> str:
        rng = self.rng
        if name in self.lang.pools:
            return self.render(self.filler(name)["t"])
        base = name.rstrip("0123456789")
        if base in self.lang.slots:  # {tag2}: a second, independent pick from {tag}
            return self.render(rng.choice(self.lang.slots[base]))
        if name == "price":
            self.price_shown = True
            value, code = self.price(self.primary_range())
            return format_price(rng.choice(self.lang.price_formats[code]), value)
        if name == "contact":
            return self.render(rng.choice(self.lang.contacts))
        if name == "phone":
            return self._digits(rng.choice(self.lang.phones))
        if name == "handle":
            stem = rng.choice(self.lang.handles)
            return stem + rng.choice(("", "_", ".", "")) + str(rng.randrange(10, 9999))
        if name == "email":
            domain = rng.choice(("example.com", "example.net", "example.org"))
            return f"{self.resolve('handle').replace('.', '_').lower()}@{domain}"
        if name == "num":
            return str(rng.choice((2, 2, 3, 3, 4, 5, 5, 6, 8, 10, 12, 15, 20)))
        if name == "big":
            return str(rng.choice((120, 350, 480, 600, 750, 1200, 1500, 2100, 3000, 4600)))
        if name == "year":
            return str(rng.randrange(2014, 2025))
        raise TemplateError(f"unknown slot {name!r}")

    def primary_range(self) -> tuple[float, float]:
        for filler in self.fillers.values():
            if "p" in filler:
                low, high = filler["p"]
                return float(low), float(high)
        return 5.0, 60.0


# --------------------------------------------------------------------------- corpus


def assign_splits(templates: list[Template]) -> dict[str, str]:
    """Rank each language x category's templates by seeded hash; cut 70/15/15."""
    groups: dict[tuple[str, str], list[str]] = {}
    for tpl in templates:
        groups.setdefault((tpl.lang, tpl.category), []).append(tpl.id)
    splits: dict[str, str] = {}
    for ids in groups.values():
        ranked = sorted(ids, key=lambda i: hashlib.sha1(f"{SEED}:{i}".encode()).hexdigest())
        n_test = max(1, round(len(ranked) * TEST_SHARE))
        n_dev = max(1, round(len(ranked) * DEV_SHARE))
        for pos, tid in enumerate(ranked):
            if pos < n_test:
                splits[tid] = "test"
            elif pos < n_test + n_dev:
                splits[tid] = "dev"
            else:
                splits[tid] = "train"
    return splits


def _pool_order(tpl: Template, lang: Language) -> list[str]:
    return [n for n in _slot_names(tpl.title + "\n" + tpl.description) if n in lang.pools]


def render_listing(tpl: Template, lang: Language, rng: random.Random) -> dict[str, Any]:
    renderer = Renderer(lang, rng)
    pools = _pool_order(tpl, lang)
    for pool in pools:  # choose fillers first so the price follows the product
        renderer.filler(pool)
    title = _tidy(renderer.render(tpl.title))
    description = _tidy(renderer.render(tpl.description))
    if lang.strip_accents and rng.random() < lang.strip_accents:
        title, description = strip_accents(title), strip_accents(description)
    if renderer.price_shown or (tpl.category != "news" and rng.random() < 0.45):
        price: int | None
        price, currency = renderer.price(renderer.primary_range())
    else:
        price, currency = None, None
    main = renderer.fillers[pools[0]] if pools else {}
    family = main.get("f") or "none"
    if tpl.category == "ordinary":
        family = "none"
    return {
        "title": title,
        "description": description,
        "price": price,
        "currency": currency,
        "family": family,
        "species": main.get("s"),
    }


def build_listings(langs: list[Language]) -> list[dict[str, Any]]:
    templates = [tpl for lang in langs for tpl in lang.templates]
    splits = assign_splits(templates)
    seen_pairs: set[tuple[str, str]] = set()
    title_split: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for lang in langs:
        for tpl in lang.templates:
            split = splits[tpl.id]
            made = 0
            for attempt in range(PER_TEMPLATE[tpl.category] * MAX_ATTEMPTS):
                if made == PER_TEMPLATE[tpl.category]:
                    break
                rng = random.Random(f"{SEED}:{tpl.id}:{attempt}")
                item = render_listing(tpl, lang, rng)
                pair = (item["title"], item["description"])
                if not item["title"] or pair in seen_pairs:
                    continue
                if title_split.get(item["title"], split) != split:
                    continue
                seen_pairs.add(pair)
                title_split[item["title"]] = split
                if tpl.label and item["family"] == "none":
                    raise TemplateError(f"{tpl.id}: a positive listing needs a product family")
                digest = hashlib.sha1(f"{pair[0]}\n{pair[1]}".encode()).hexdigest()[:10]
                rows.append(
                    {
                        "id": f"wc-{lang.code}-{digest}",
                        "title": item["title"],
                        "description": item["description"],
                        "lang": lang.code,
                        "price": item["price"],
                        "currency": item["currency"],
                        "label": tpl.label,
                        "category": tpl.category,
                        "family": item["family"],
                        "species": item["species"],
                        "template": tpl.id,
                        "split": split,
                    }
                )
                made += 1
    ids = Counter(r["id"] for r in rows)
    if len(ids) != len(rows):
        raise TemplateError(f"duplicate ids: {[i for i, n in ids.items() if n > 1][:5]}")
    return rows


# --------------------------------------------------------------------------- evasion


def _graphemes(text: str) -> list[str]:
    """Characters with their combining marks attached (Thai vowels, tone marks)."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.category(ch) in ("Mn", "Mc", "Me"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def disguise_word(word: str, technique: str, rng: random.Random) -> str:
    if technique == "spaced_letters":  # words stay apart: "r h i n o  h o r n"
        return "  ".join(" ".join(_graphemes(part)) for part in word.split(" "))
    if technique == "dotted_letters":
        sep = rng.choice((".", ".", "-", "*"))
        return " ".join(sep.join(_graphemes(part)) for part in word.split(" "))
    if technique == "homoglyphs":
        return word.translate(HOMOGLYPHS)
    if technique == "fullwidth":
        return _fullwidth(word)
    if technique == "leetspeak":
        return word.translate(LEET)
    if technique == "zero_width":
        return ZERO_WIDTH_SPACE.join(_graphemes(word))
    raise TemplateError(f"technique {technique!r} has no letter-level form")


def to_traditional(text: str, table: dict[str, str]) -> str:
    for simplified in sorted((k for k in table if len(k) > 1), key=len, reverse=True):
        text = text.replace(simplified, table[simplified])
    return "".join(table.get(ch, ch) for ch in text)


def _disguise(
    text: str, base: dict[str, Any], technique: str, seed: str, s2t: dict[str, str]
) -> str:
    """Disguise every keyword of ``base`` in ``text``; one seed, so each occurrence looks alike."""
    if technique == "traditional_chinese":
        return to_traditional(text, s2t)
    letter_level = technique not in WORD_TABLES
    words = base.get("letters", base["keywords"]) if letter_level else base["keywords"]
    keywords = sorted(words, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keywords), re.IGNORECASE)

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        key = next(k for k in keywords if k.lower() == word.lower())
        if technique in WORD_TABLES:
            return str(base[WORD_TABLES[technique]][key])
        return disguise_word(word, technique, random.Random(seed))

    return pattern.sub(swap, text)


def _supports(base: dict[str, Any], technique: str) -> bool:
    """Whether ``technique`` changes every keyword of ``base`` (a mapping, changed letters)."""
    if technique == "traditional_chinese":
        return True
    if technique in WORD_TABLES:
        table = base.get(WORD_TABLES[technique], {})
        return all(k in table for k in base["keywords"])
    rng = random.Random(SEED)
    return all(disguise_word(k, technique, rng) != k for k in base.get("letters", base["keywords"]))


def build_evasion() -> list[dict[str, Any]]:
    raw = json.loads((TEMPLATES_DIR / "evasion.json").read_text(encoding="utf-8"))
    s2t: dict[str, str] = raw["s2t"]
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for lang in LANGS:
        for tnum, technique in enumerate(TECHNIQUES):
            if technique in LATIN_ONLY and lang not in LATIN_LANGS:
                continue
            bases = [b for b in raw["bases"].get(lang, []) if _supports(b, technique)]
            if not bases:
                continue
            if technique == "traditional_chinese":
                chosen = bases if lang == "zh" else []
            else:
                count = min(EVASION_PER_LANG, len(bases))
                chosen = [bases[(tnum * count + k) % len(bases)] for k in range(count)]
            for base in chosen:
                seed = f"{SEED}:evasion:{lang}:{technique}:{base['title']}"
                title = _disguise(base["title"], base, technique, seed, s2t)
                description = _disguise(base["description"], base, technique, seed, s2t)
                if (title, description) == (base["title"], base["description"]):
                    raise TemplateError(f"{lang} {technique}: disguise left {base['title']!r}")
                key = (technique, title, description)
                if key in seen:
                    continue
                seen.add(key)
                digest = hashlib.sha1("\n".join(key).encode()).hexdigest()[:10]
                rows.append(
                    {
                        "id": f"ev-{lang}-{digest}",
                        "lang": lang,
                        "technique": technique,
                        "plain_title": base["title"],
                        "plain_description": base["description"],
                        "disguised_title": title,
                        "disguised_description": description,
                    }
                )
    return rows


# --------------------------------------------------------------------------- output


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


def counts_table(rows: list[dict[str, Any]]) -> str:
    """Markdown tables of listings per split x language x category."""
    out: list[str] = []
    head = ["lang", *CATEGORIES, "total", "positive %"]
    for split in (*SPLITS, "all"):
        subset = [r for r in rows if split == "all" or r["split"] == split]
        out.append(f"**{split}** ({len(subset)} listings)\n")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for lang in (*LANGS, "all"):
            sel = [r for r in subset if lang == "all" or r["lang"] == lang]
            by_cat = Counter(r["category"] for r in sel)
            pos = sum(r["label"] for r in sel)
            share = f"{100 * pos / len(sel):.0f}" if sel else "-"
            cells = [lang, *(str(by_cat[c]) for c in CATEGORIES), str(len(sel)), share]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


TABLE_START = "<!-- counts:start (written by build.py) -->"
TABLE_END = "<!-- counts:end -->"


def update_readme(path: Path, table: str) -> None:
    """Rewrite the counts section of the datasheet between its markers, if there is one."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return
    new = text[: start + len(TABLE_START)] + "\n\n" + table + "\n" + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")


def build(out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    species = _species_keys()
    langs = [load_language(code, species) for code in LANGS]
    listings = build_listings(langs)
    evasion = build_evasion()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / LISTINGS_NAME).write_text(_jsonl(listings), encoding="utf-8")
    (out_dir / EVASION_NAME).write_text(_jsonl(evasion), encoding="utf-8")
    return listings, evasion


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args(argv)
    listings, evasion = build(args.out)
    if args.out.resolve() == HERE:
        update_readme(README_FILE, counts_table(listings))
    positives = sum(r["label"] for r in listings)
    print(
        f"{len(listings)} listings ({positives} positive), {len(evasion)} evasion pairs "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
