"""The learned stage: a logistic head over rule signals, entity cues and the encoder's
vector, with Platt calibration, stored as one JSON file.

Why a linear head and not a fine-tuned transformer: it trains in seconds on two CPU
cores, it cannot memorise phrasings the way a fine-tuned encoder can (the corpus is
built from templates), and its inputs stay inspectable. Calibration is fitted on the
dev split after training, so ``risk = 0.7`` means that about seven in ten listings
scored there were real offers in held-out data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.errors import ClassifierError

__all__ = ["HEAD_FORMAT", "HeadTrainingError", "WildlifeHead", "fit_head"]

HEAD_FORMAT = "wildwatch-head/1"


class HeadTrainingError(ClassifierError):
    """Training data cannot make a head (one class only, no rows, shapes disagree)."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))


@dataclass(frozen=True)
class WildlifeHead:
    """Weights, scaling and calibration of the learned stage, plus where they came from."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    calib_a: float = 1.0
    calib_b: float = 0.0
    encoder: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def logits(self, features: np.ndarray) -> np.ndarray:
        if features.shape[1] != len(self.feature_names):
            raise ClassifierError(
                f"head expects {len(self.feature_names)} features, got {features.shape[1]}"
            )
        return ((features - self.mean) / self.scale) @ self.weights + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability that each row is a real offer of a protected species."""
        return _sigmoid(self.calib_a * self.logits(features) + self.calib_b)

    def contributions(self, features: np.ndarray) -> dict[str, float]:
        """Per-feature share of one row's logit, for explanations and debugging."""
        parts = ((features - self.mean) / self.scale) * self.weights
        return {name: float(v) for name, v in zip(self.feature_names, parts, strict=True)}

    # -- files -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": HEAD_FORMAT,
            "encoder": dict(self.encoder),
            "meta": dict(self.meta),
            "feature_names": list(self.feature_names),
            "mean": [round(float(v), 7) for v in self.mean],
            "scale": [round(float(v), 7) for v in self.scale],
            "weights": [round(float(v), 7) for v in self.weights],
            "bias": float(self.bias),
            "calibration": {"a": float(self.calib_a), "b": float(self.calib_b)},
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> WildlifeHead:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClassifierError(f"no classifier head at {path}") from None
        except (OSError, ValueError) as exc:
            raise ClassifierError(f"cannot read classifier head {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != HEAD_FORMAT:
            raise ClassifierError(f"{path} is not a {HEAD_FORMAT} file")
        try:
            names = tuple(data["feature_names"])
            arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
            if any(a.shape != (len(names),) for a in arrays):
                raise ValueError("array lengths differ from feature_names")
            return cls(
                feature_names=names,
                mean=arrays[0],
                scale=arrays[1],
                weights=arrays[2],
                bias=float(data["bias"]),
                calib_a=float(data["calibration"]["a"]),
                calib_b=float(data["calibration"]["b"]),
                encoder=data.get("encoder", {}),
                meta=data.get("meta", {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassifierError(f"{path}: malformed head: {exc}") from exc


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, l2: float, iters: int = 300
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by full-batch L-BFGS (torch, float64)."""
    import torch

    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.float64))
    wt = torch.from_numpy(sample_weight / sample_weight.mean())
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [w, b], max_iter=iters, tolerance_grad=1e-9, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logit = xt @ w + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, yt, weight=wt)
        loss = loss + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy().copy(), float(b.detach().numpy()[0])


def _fit_platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit ``p = sigmoid(a * logit + b)`` on held-out rows (Platt's smoothed targets)."""
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    targets = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(100):  # Newton steps on two parameters
        p = _sigmoid(a * logits + b)
        g = p - targets
        grad = np.array([(g * logits).sum(), g.sum()])
        h = p * (1 - p)
        hess = np.array(
            [[(h * logits * logits).sum(), (h * logits).sum()], [(h * logits).sum(), h.sum()]]
        ) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    if not (math.isfinite(a) and math.isfinite(b)) or a <= 0:
        return 1.0, 0.0
    return float(a), float(b)


def fit_head(
    feature_names: Sequence[str],
    train_x: np.ndarray,
    train_y: np.ndarray,
    dev_x: np.ndarray,
    dev_y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    l2_grid: Sequence[float] = (3e-4, 1e-3, 3e-3, 1e-2),
    block_scale: Mapping[str, float] | None = None,
    encoder: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> WildlifeHead:
    """Train on `train`, pick the L2 strength by dev log-loss, calibrate on dev.

    `block_scale` maps a feature-name prefix to a factor its standardised features
    are multiplied by: a factor below 1 shrinks that block's weights harder (with
    L2, scaling a feature by s is penalising its weight by 1/s^2). The factor is
    folded into the saved ``scale``, so a head file needs nothing new to apply it.
    """
    if train_x.ndim != 2 or train_x.shape[0] != train_y.shape[0] or train_x.shape[0] == 0:
        raise HeadTrainingError("training features and labels do not line up")
    if len(set(train_y.tolist())) < 2 or len(set(dev_y.tolist())) < 2:
        raise HeadTrainingError("training and dev data each need both labels")
    weight = np.ones(len(train_y)) if sample_weight is None else np.asarray(sample_weight, float)
    mean = train_x.mean(axis=0)
    scale = train_x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    for prefix, factor in (block_scale or {}).items():
        if not factor > 0:
            raise HeadTrainingError(f"block scale for {prefix!r} must be positive")
        block = np.array([name.startswith(prefix) for name in feature_names])
        if not block.any():
            raise HeadTrainingError(f"no feature starts with {prefix!r}")
        scale[block] /= factor
    xs = (train_x - mean) / scale
    dev_xs = (dev_x - mean) / scale
    best: tuple[float, np.ndarray, float, float] | None = None
    for l2 in l2_grid:
        w, b = _fit_logistic(xs, train_y, weight, l2)
        p = np.clip(_sigmoid(dev_xs @ w + b), 1e-7, 1 - 1e-7)
        loss = float(-(dev_y * np.log(p) + (1 - dev_y) * np.log(1 - p)).mean())
        if best is None or loss < best[0]:
            best = (loss, w, b, l2)
    assert best is not None
    _, w, b, l2 = best
    a, cb = _fit_platt(dev_xs @ w + b, dev_y)
    return WildlifeHead(
        feature_names=tuple(feature_names),
        mean=mean,
        scale=scale,
        weights=w,
        bias=b,
        calib_a=a,
        calib_b=cb,
        encoder=dict(encoder or {}),
        meta={**dict(meta or {}), "l2": l2, "block_scale": dict(block_scale or {})},
    )
