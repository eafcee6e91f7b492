"""Training, evaluation and reviewer feedback: the app-layer jobs behind ``wildwatch
train``, ``wildwatch eval`` and ``wildwatch review``.

A retrained head is compared with the active one on the corpus's fixed test split
before it replaces it: overall F1 must not fall, and no language must fall below the
target an investigator relies on; the old one stays in the registry for ``wildwatch
model rollback``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.encoder import DEFAULT_LAYERS, TextEncoder, default_encoder_dir
from classifiers.errors import ClassifierError
from classifiers.evaluation import Example, build_report, evaluate, evaluate_evasion
from classifiers.head import WildlifeHead
from classifiers.item import ListingText
from classifiers.training import corpus_examples, featurise, train_head
from classifiers.wildlife import FeatureExtractor, WildlifeClassifier
from indexer import Database, ListingStore, ReviewStore
from wildwatch.classifier import active_head_path, head_registry
from wildwatch.config import AppConfig
from wildwatch.errors import InputError

__all__ = [
    "TrainOutcome",
    "activation_blockers",
    "record_review",
    "review_examples",
    "run_eval",
    "run_train",
    "sandbox_examples",
]

Progress = Callable[[str, int, int], None]
#: A retrained head replaces the active one unless its test F1 falls by more than this.
F1_TOLERANCE = 0.005
#: ... or a language with at least LANGUAGE_MIN_N test listings falls below this F1
#: (unless the active head was already as low there): a better average must not hide
#: a language the unit working in it can no longer trust.
LANGUAGE_F1_FLOOR = 0.90
LANGUAGE_MIN_N = 50


SANDBOX_TRAINING_SEED = 7


def sandbox_examples(seed: int) -> list[Example]:
    """The sandbox marketplace's generated listings as labelled examples."""
    from sandbox.corpus import build_corpus

    return [
        Example(
            item=ListingText(x.title, x.description, None, float(x.price), x.currency),
            label=int(x.category in ("illegal", "coded")),
            lang=x.language,
            category=f"sandbox-{x.category}",
            id=f"sandbox-{seed}:{x.listing_id}",
        )
        for x in build_corpus(seed=seed).listings
    ]


def _database(config: AppConfig) -> Database:
    database = Database(config.database_url)
    database.create_schema()
    return database


def record_review(
    config: AppConfig,
    listing_id: str,
    verdict: str,
    *,
    note: str | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Store one verdict; returns what was recorded."""
    database = _database(config)
    try:
        with database.session() as session:
            review = ReviewStore(session).record(listing_id, verdict, note=note, reviewer=reviewer)
            return {
                "listing_id": review.listing_id,
                "verdict": review.verdict,
                "note": review.note,
                "risk_at_review": review.risk_at_review,
                "created_at": review.created_at.isoformat(timespec="seconds"),
            }
    finally:
        database.dispose()


def review_examples(config: AppConfig) -> list[Example]:
    """The latest verdict on each reviewed listing, as labelled examples."""
    database = _database(config)
    try:
        with database.session() as session:
            store = ListingStore(session)
            examples = []
            for listing_id, review in sorted(ReviewStore(session).latest().items()):
                listing = store.get(listing_id)
                if listing is None:
                    continue
                examples.append(
                    Example(
                        item=ListingText(
                            listing.title,
                            listing.description,
                            listing.language,
                            listing.price,
                            listing.currency,
                        ),
                        label=1 if review.verdict == "confirm" else 0,
                        lang=listing.language or "und",
                        category="review",
                        id=listing_id,
                    )
                )
            return examples
    finally:
        database.dispose()


@dataclass
class TrainOutcome:
    """What ``wildwatch train`` did, printed as text or JSON."""

    after: dict[str, Any]
    before: dict[str, Any] | None
    activated: bool
    version: str | None = None
    output: str | None = None
    review_rows: int = 0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "output": self.output,
            "activated": self.activated,
            "review_rows": self.review_rows,
            "message": self.message,
            "before": self.before,
            "after": self.after,
        }


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "overall": report["overall"],
        "per_language": {
            k: {m: v[m] for m in ("precision", "recall", "f1", "n")}
            for k, v in report["per_language"].items()
        },
        "calibration": {"ece": report["calibration"]["ece"]},
    }


def activation_blockers(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Why a retrained head (test report `after`) must not replace the active one
    (`before`, None when the two cannot be compared); empty when it may."""
    blockers = []
    if before is not None and after["overall"]["f1"] < before["overall"]["f1"] - F1_TOLERANCE:
        blockers.append(f"test F1 {after['overall']['f1']:.4f} < {before['overall']['f1']:.4f}")
    old = before["per_language"] if before is not None else {}
    for lang, now in sorted(after["per_language"].items()):
        if now["n"] < LANGUAGE_MIN_N or now["f1"] >= LANGUAGE_F1_FLOOR:
            continue
        was = old.get(lang)
        if was is None or now["f1"] < was["f1"] - F1_TOLERANCE:
            blockers.append(
                f"{lang} F1 {now['f1']:.4f} < {LANGUAGE_F1_FLOOR:.2f}"
                + (f" (active head {was['f1']:.4f})" if was is not None else "")
            )
    return blockers


def run_train(
    config: AppConfig,
    *,
    from_reviews: bool = False,
    review_weight: float = 3.0,
    force: bool = False,
    output: Path | None = None,
    encoder_dir: Path | None = None,
    progress: Progress | None = None,
) -> TrainOutcome:
    """Train a head on the corpus (plus verdicts), compare on test, install or write it."""
    train, dev, test = (corpus_examples(s) for s in ("train", "dev", "test"))
    # A second, differently written synthetic source widens what "ordinary" and
    # "look-alike" look like; its seed differs from the demo's, so the demo crawl
    # scores listings the head has not seen.
    train += sandbox_examples(SANDBOX_TRAINING_SEED)
    weights = [1.0] * len(train)
    reviews: list[Example] = []
    if from_reviews:
        reviews = review_examples(config)
        if not reviews:
            raise InputError(
                "no reviewer verdicts in the store: record some with `wildwatch review`"
            )
        train = [*train, *reviews]
        weights += [review_weight] * len(reviews)

    current_path = active_head_path(config)
    current: WildlifeHead | None
    try:
        current = WildlifeHead.load(current_path)
    except ClassifierError:
        current = None
    settings = current.encoder if current else {}
    encoder = TextEncoder(
        encoder_dir or default_encoder_dir(),
        max_length=int(settings.get("max_length", 64)),
        prefix=str(settings.get("prefix", "query: ")),
        precision=str(settings.get("precision", "bf16")),
        layers=settings.get("layers", DEFAULT_LAYERS),
    )
    extractor = FeatureExtractor(encoder)

    def step(stage: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(stage, done, total))

    head = train_head(
        extractor,
        train,
        dev,
        weights=weights,
        meta={"reviews": len(reviews), "review_weight": review_weight if reviews else None},
        progress=step("features"),
    )
    test_x = featurise(extractor, test, progress=step("test"))
    rules = extractor.rules.config

    def report_for(h: WildlifeHead) -> dict[str, Any]:
        return build_report(
            test,
            h.probabilities(test_x).tolist(),
            threshold=rules.flag_threshold,
            tier_bands=rules.tier_bands,
            model=str(h.meta.get("name", "")),
        ).as_dict()

    after = report_for(head)
    comparable = (
        current is not None
        and current.encoder.get("fingerprint") == encoder.fingerprint
        and tuple(current.feature_names) == extractor.feature_names
    )
    before = report_for(current) if comparable and current is not None else None
    head_meta = {**head.meta, "test": after["overall"]}
    head = WildlifeHead(**{**head.__dict__, "meta": head_meta})
    report = {"before": before and _summary(before), "after": _summary(after)}

    if output is not None:
        head.save(output)
        return TrainOutcome(
            after=_summary(after),
            before=report["before"],
            activated=False,
            output=str(output),
            review_rows=len(reviews),
            message=f"head written to {output}",
        )
    blockers = activation_blockers(before, after)
    activate = not blockers or force
    registry = head_registry(config)
    previous = registry.active() or "the shipped head"
    version = registry.add(head, report=report, activate=activate)
    if activate:
        message = (
            f"head {version} is now active"
            + ("" if not blockers else f" (forced: {'; '.join(blockers)})")
            + f"; {previous} stays for `wildwatch model rollback`"
        )
    else:
        message = (
            f"head {version} kept but NOT activated: {'; '.join(blockers)} "
            f"(`wildwatch model activate {version}` activates it anyway)"
        )
    return TrainOutcome(
        after=_summary(after),
        before=report["before"],
        activated=activate,
        version=version,
        review_rows=len(reviews),
        message=message,
    )


def run_eval(
    config: AppConfig,
    *,
    split: str = "test",
    head_path: Path | None = None,
    with_evasion: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Evaluate the active (or given) head on a corpus split; adds the evasion set."""
    from classifiers.corpus import load_evasion

    classifier = WildlifeClassifier(head_path or active_head_path(config))
    examples = corpus_examples(None if split == "all" else split)
    # Warm-up outside the clock: the first listing of each language pays for building
    # that language's spaCy pipeline, which a long-running crawler does once.
    first_of_language = {e.lang: e.item for e in reversed(examples)}
    classifier.classify_many(list(first_of_language.values()))
    report = evaluate(
        classifier,
        examples,
        threshold=classifier.config.flag_threshold,
        tier_bands=classifier.config.tier_bands,
        model=classifier.model_name,
        progress=progress,
    ).as_dict()
    report["split"] = split
    report["head"] = str(head_path or active_head_path(config))
    if with_evasion:
        pairs = [
            (
                p.id,
                p.technique,
                ListingText(p.plain_title, p.plain_description, None),
                ListingText(p.disguised_title, p.disguised_description, None),
            )
            for p in load_evasion()
        ]
        report["evasion"] = evaluate_evasion(classifier, pairs).as_dict()
    return report
