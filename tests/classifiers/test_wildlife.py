"""The full classifier (rules + entities + transformer + head) on the labelled corpus."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from classifiers import ListingText, WildlifeClassifier
from classifiers.errors import ClassifierError
from classifiers.evaluation import Example
from classifiers.training import corpus_examples
from crawler.listing import Classification, listing_text


@pytest.fixture(scope="module")
def classifier() -> WildlifeClassifier:
    return WildlifeClassifier.default()


@pytest.fixture(scope="module")
def test_split(classifier: WildlifeClassifier) -> list[tuple[Example, Classification]]:
    examples = corpus_examples("test")
    return list(zip(examples, classifier.classify_many(e.item for e in examples), strict=True))


def test_every_reason_span_points_at_its_text(
    test_split: list[tuple[Example, Classification]],
) -> None:
    flagged = 0
    for example, result in test_split:
        text = listing_text(example.item.title, example.item.description)
        for reason in result.reasons:
            assert text[reason.start : reason.end] == reason.term, (example.id, reason)
        if result.flagged:
            flagged += 1
            # A flag always says why, beyond a phone number.
            assert any(r.kind != "contact" for r in result.reasons), example.id
    assert flagged > 200


def test_look_alikes_do_not_outrank_coded_offers(
    test_split: list[tuple[Example, Classification]],
) -> None:
    coded = [r.risk for e, r in test_split if e.category == "coded"]
    lookalikes = [r.risk for e, r in test_split if e.category == "lookalike"]
    assert len(coded) >= 100 and len(lookalikes) >= 100
    ordered = sum(1 for c in coded for x in lookalikes if c > x)
    assert ordered / (len(coded) * len(lookalikes)) >= 0.98


def test_flagged_results_name_species_with_their_appendix(
    test_split: list[tuple[Example, Classification]],
) -> None:
    named = [r for e, r in test_split if r.flagged and e.category == "offer" and r.species]
    assert len(named) >= 80
    assert any(s.cites_appendix == "I" for r in named for s in r.species)


def test_language_is_identified_when_not_given(classifier: WildlifeClassifier) -> None:
    results = classifier.classify_many(
        [
            ListingText("Bán vòng ngà voi thật, giá tốt"),
            ListingText("出售象牙手镯 老料"),
            ListingText("ขายงาช้างแท้ ราคาถูก"),
        ]
    )
    assert [r.language for r in results] == ["vi", "zh", "th"]
    assert all(r.flagged for r in results)


def test_batches_and_single_listings_agree(
    classifier: WildlifeClassifier, test_split: list[tuple[Example, Classification]]
) -> None:
    for example, batched in test_split[:12]:
        alone = classifier.classify(
            example.item.title,
            example.item.description,
            lang=example.item.lang,
            price=example.item.price,
        )
        assert alone.risk == pytest.approx(batched.risk, abs=0.02)


def test_contacts_are_reasons_with_spans(classifier: WildlifeClassifier) -> None:
    title, description = "Rhino horn cup, real", "WhatsApp +84 912 345 678 or WeChat: hornking88"
    result = classifier.classify(title, description)
    text = listing_text(title, description)
    contacts = [r for r in result.reasons if r.kind == "contact"]
    assert len(contacts) == 2
    assert all(text[r.start : r.end] == r.term for r in contacts)
    assert result.flagged and result.tier == "high"


def test_hostile_input_is_scored_not_executed(classifier: WildlifeClassifier) -> None:
    results = classifier.classify_many(
        [
            ListingText("", ""),
            ListingText("\x00\x1b[31m<script>alert(1)</script>", "\u202e" * 50),
            ListingText("ivory " * 5000, "x" * 20_000),
            ListingText("🐘" * 300),
        ]
    )
    assert len(results) == 4
    assert all(0.0 <= r.risk <= 1.0 for r in results)
    assert not results[0].flagged


def test_a_head_trained_on_another_encoder_is_refused(classifier: WildlifeClassifier) -> None:
    head = replace(classifier.head, encoder={**classifier.head.encoder, "fingerprint": "0" * 16})
    with pytest.raises(ClassifierError, match="another encoder"):
        WildlifeClassifier(head, encoder=classifier.extractor.encoder)


def test_a_head_for_other_features_is_refused(classifier: WildlifeClassifier) -> None:
    head = replace(
        classifier.head,
        feature_names=("a", "b"),
        mean=np.zeros(2),
        scale=np.ones(2),
        weights=np.ones(2),
    )
    with pytest.raises(ClassifierError, match="other features"):
        WildlifeClassifier(head, encoder=classifier.extractor.encoder)
