"""Measure a classifier on labelled listings: precision, recall and F1 overall, per
language and per product family, a confusion table by category, calibration, speed,
and how far disguises move the score.

Everything here works on plain records (:class:`Example`) and any object with
``classify_many``; the corpus loader and the command line build those.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from classifiers.item import ListingText
from crawler.listing import Classification

__all__ = [
    "EvalReport",
    "EvasionReport",
    "Example",
    "Metrics",
    "build_report",
    "evaluate",
    "evaluate_evasion",
    "format_report",
]


class BatchClassifier(Protocol):
    def classify_many(self, items: Iterable[ListingText]) -> list[Classification]: ...


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled listing."""

    item: ListingText
    label: int
    lang: str
    category: str = "unknown"
    family: str = "none"
    id: str = ""


@dataclass(frozen=True, slots=True)
class Metrics:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }

    @classmethod
    def count(cls, pairs: Iterable[tuple[int, bool]]) -> Metrics:
        c: Counter[tuple[int, bool]] = Counter(pairs)
        return cls(tp=c[1, True], fp=c[0, True], fn=c[1, False], tn=c[0, False])


@dataclass
class EvalReport:
    overall: Metrics
    per_language: dict[str, Metrics]
    per_family: dict[str, Metrics]
    confusion: dict[str, dict[str, int]]
    listings_per_second: float
    n: int
    threshold: float
    calibration: dict[str, Any]
    model: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "n": self.n,
            "threshold": self.threshold,
            "overall": self.overall.as_dict(),
            "per_language": {k: v.as_dict() for k, v in sorted(self.per_language.items())},
            "per_family": {k: v.as_dict() for k, v in sorted(self.per_family.items())},
            "confusion": self.confusion,
            "calibration": self.calibration,
            "listings_per_second": round(self.listings_per_second, 1),
            "errors": self.errors,
        }


def _calibration(risks: Sequence[float], labels: Sequence[int], bins: int = 10) -> dict[str, Any]:
    """Expected calibration error, Brier score and a reliability table."""
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, r in enumerate(risks) if lo <= r < hi or (b == bins - 1 and r == 1.0)]
        if not idx:
            continue
        mean_risk = sum(risks[i] for i in idx) / len(idx)
        rate = sum(labels[i] for i in idx) / len(idx)
        ece += len(idx) / len(risks) * abs(mean_risk - rate)
        table.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(idx),
                "mean_risk": round(mean_risk, 3),
                "positive_rate": round(rate, 3),
            }
        )
    brier = sum((r - y) ** 2 for r, y in zip(risks, labels, strict=True)) / max(len(risks), 1)
    return {"ece": round(ece, 4), "brier": round(brier, 4), "bins": table}


def evaluate(
    classifier: BatchClassifier,
    examples: Sequence[Example],
    *,
    threshold: float,
    tier_bands: Sequence[tuple[str, float]],
    model: str = "",
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Classify `examples` (timed, in batches) and compare with their labels."""
    results: list[Classification] = []
    started = time.perf_counter()
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        results.extend(classifier.classify_many([e.item for e in chunk]))
        if progress:
            progress(len(results), len(examples))
    elapsed = time.perf_counter() - started
    return build_report(
        examples,
        [c.risk for c in results],
        threshold=threshold,
        tier_bands=tier_bands,
        model=model,
        listings_per_second=len(examples) / elapsed if elapsed > 0 else 0.0,
    )


def build_report(
    examples: Sequence[Example],
    risks: Sequence[float],
    *,
    threshold: float,
    tier_bands: Sequence[tuple[str, float]],
    model: str = "",
    listings_per_second: float = 0.0,
) -> EvalReport:
    """Metrics for `risks` (one per example) at `threshold`."""
    predicted = [r >= threshold for r in risks]
    pairs = [(e.label, p) for e, p in zip(examples, predicted, strict=True)]
    by_lang: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    by_family: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    errors = []
    for e, risk, p in zip(examples, risks, predicted, strict=True):
        by_lang[e.lang].append((e.label, p))
        if e.family and e.family != "none":
            by_family[e.family].append((e.label, p))
        tier = next((name for name, low in tier_bands if risk >= low), "none")
        confusion[e.category][tier] += 1
        if p != bool(e.label):
            errors.append(
                {
                    "id": e.id,
                    "lang": e.lang,
                    "category": e.category,
                    "label": e.label,
                    "risk": round(float(risk), 4),
                    "title": e.item.title[:120],
                }
            )
    tiers = ("high", "medium", "low", "none")
    return EvalReport(
        overall=Metrics.count(pairs),
        per_language={k: Metrics.count(v) for k, v in by_lang.items()},
        per_family={k: Metrics.count(v) for k, v in by_family.items()},
        confusion={cat: {t: counts[t] for t in tiers} for cat, counts in sorted(confusion.items())},
        listings_per_second=listings_per_second,
        n=len(examples),
        threshold=threshold,
        calibration=_calibration([float(r) for r in risks], [e.label for e in examples]),
        model=model,
        errors=errors,
    )


# Techniques reported apart from the target: euphemisms no lexicon entry knows,
# which probe what the model guesses rather than what the system was told.
PROBE_TECHNIQUES = frozenset({"unlisted_code_word"})


@dataclass
class EvasionReport:
    pairs: list[dict[str, Any]]
    tolerance: float

    @property
    def target(self) -> list[dict[str, Any]]:
        return [p for p in self.pairs if p["technique"] not in PROBE_TECHNIQUES]

    @property
    def within(self) -> int:
        return sum(1 for p in self.target if abs(p["delta"]) <= self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        by_technique: dict[str, list[float]] = defaultdict(list)
        for p in self.pairs:
            by_technique[p["technique"]].append(abs(p["delta"]))
        return {
            "n": len(self.target),
            "tolerance": self.tolerance,
            "within_tolerance": self.within,
            "max_abs_delta": round(max((abs(p["delta"]) for p in self.target), default=0.0), 4),
            "per_technique": {
                t: {
                    "n": len(d),
                    "max_abs_delta": round(max(d), 4),
                    "within": sum(1 for x in d if x <= self.tolerance),
                    "probe": t in PROBE_TECHNIQUES,
                }
                for t, d in sorted(by_technique.items())
            },
            "worst": sorted(self.target, key=lambda p: -abs(p["delta"]))[:10],
        }


def evaluate_evasion(
    classifier: BatchClassifier,
    pairs: Sequence[tuple[str, str, ListingText, ListingText]],
    *,
    tolerance: float = 0.1,
) -> EvasionReport:
    """Score each (id, technique, plain, disguised) pair; the gap is disguised - plain."""
    plain = classifier.classify_many([p[2] for p in pairs])
    disguised = classifier.classify_many([p[3] for p in pairs])
    rows = [
        {
            "id": pid,
            "technique": technique,
            "plain": a.risk,
            "disguised": b.risk,
            "delta": round(b.risk - a.risk, 4),
        }
        for (pid, technique, _, _), a, b in zip(pairs, plain, disguised, strict=True)
    ]
    return EvasionReport(rows, tolerance)


def format_report(report: Mapping[str, Any]) -> str:
    """The human-readable form of :meth:`EvalReport.as_dict` (plus evasion if present)."""
    lines = [f"model {report['model']}  n={report['n']}  threshold={report['threshold']}"]

    def row(name: str, m: Mapping[str, Any]) -> str:
        return (
            f"  {name:<14} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f} {m['n']:>6}"
        )

    header = f"  {'':<14} {'precision':>9} {'recall':>7} {'f1':>7} {'n':>6}"
    lines += ["", "overall", header, row("all", report["overall"])]
    lines += ["", "per language", header]
    lines += [row(k, v) for k, v in report["per_language"].items()]
    lines += ["", "per product family", header]
    lines += [row(k, v) for k, v in report["per_family"].items()]
    lines += ["", "confusion (true category x predicted tier)"]
    tiers = ("high", "medium", "low", "none")
    lines.append(f"  {'':<14}" + "".join(f"{t:>8}" for t in tiers))
    for cat, counts in report["confusion"].items():
        lines.append(f"  {cat:<14}" + "".join(f"{counts[t]:>8}" for t in tiers))
    o = report["overall"]
    lines += [
        "",
        f"  flagged: tp={o['tp']} fp={o['fp']} fn={o['fn']} tn={o['tn']}",
        f"calibration: ECE {report['calibration']['ece']}, Brier {report['calibration']['brier']}",
        f"throughput: {report['listings_per_second']} listings/s",
    ]
    if "evasion" in report:
        ev = report["evasion"]
        lines += [
            "",
            f"evasion: {ev['within_tolerance']}/{ev['n']} disguised offers within "
            f"{ev['tolerance']} of their plain form (max |delta| {ev['max_abs_delta']})",
        ]
        for t, d in ev["per_technique"].items():
            note = "  (probe: not in the lexicon; not counted above)" if d.get("probe") else ""
            lines.append(
                f"  {t:<20} {d['within']:>4}/{d['n']:<4} max |delta| {d['max_abs_delta']}{note}"
            )
    return "\n".join(lines)
