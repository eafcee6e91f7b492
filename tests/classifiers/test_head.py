"""The learned head: training, calibration, files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.errors import ClassifierError
from classifiers.head import HeadTrainingError, WildlifeHead, fit_head


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # One informative feature with overlapping classes, two noise features.
    x = np.column_stack([y * 1.5 + rng.normal(0, 1, n), rng.normal(0, 1, (n, 2))])
    return x, y.astype(float)


@pytest.fixture(scope="module")
def head() -> WildlifeHead:
    train_x, train_y = _data(800, 1)
    dev_x, dev_y = _data(800, 2)
    return fit_head(("signal", "noise1", "noise2"), train_x, train_y, dev_x, dev_y)


def test_head_learns_the_informative_feature(head: WildlifeHead) -> None:
    assert abs(head.weights[0]) > 5 * max(abs(head.weights[1]), abs(head.weights[2]))


def test_probabilities_are_calibrated_on_held_out_data(head: WildlifeHead) -> None:
    x, y = _data(4000, 3)
    p = head.probabilities(x)
    # Within each band of predicted risk, the share of positives matches the risk.
    for lo, hi in ((0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9)):
        band = (p >= lo) & (p < hi)
        assert band.sum() > 100
        assert abs(y[band].mean() - p[band].mean()) < 0.06


def test_round_trip_through_a_file(tmp_path: Path, head: WildlifeHead) -> None:
    path = head.save(tmp_path / "h.json")
    again = WildlifeHead.load(path)
    x, _ = _data(50, 4)
    np.testing.assert_allclose(again.probabilities(x), head.probabilities(x), atol=1e-6)
    assert again.feature_names == head.feature_names


def test_broken_head_files_are_refused_with_the_file_named(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(ClassifierError, match="no classifier head"):
        WildlifeHead.load(missing)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ClassifierError, match=r"other\.json"):
        WildlifeHead.load(other)
    short = tmp_path / "short.json"
    short.write_text(
        json.dumps(
            {
                "format": "wildwatch-head/1",
                "feature_names": ["a", "b"],
                "mean": [0],
                "scale": [1, 1],
                "weights": [1, 1],
                "bias": 0,
                "calibration": {"a": 1, "b": 0},
            }
        )
    )
    with pytest.raises(ClassifierError, match="malformed"):
        WildlifeHead.load(short)


def test_wrong_number_of_features_is_an_error(head: WildlifeHead) -> None:
    with pytest.raises(ClassifierError, match="expects 3 features"):
        head.probabilities(np.zeros((2, 5)))


def test_training_needs_both_labels() -> None:
    x = np.zeros((10, 3))
    with pytest.raises(HeadTrainingError, match="both labels"):
        fit_head(("a", "b", "c"), x, np.ones(10), x, np.array([0, 1] * 5, dtype=float))
