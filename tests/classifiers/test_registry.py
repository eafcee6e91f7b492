"""Trained heads side by side: activate, list, roll back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.errors import ClassifierError
from classifiers.head import WildlifeHead
from classifiers.registry import HeadRegistry


def _head(bias: float) -> WildlifeHead:
    ones = np.ones(2)
    return WildlifeHead(("a", "b"), np.zeros(2), ones, ones, bias, meta={"name": f"h{bias}"})


def test_new_head_becomes_active_and_rollback_restores_the_previous(tmp_path: Path) -> None:
    registry = HeadRegistry(tmp_path)
    assert registry.active() is None  # the shipped head
    first = registry.add(_head(1.0), activate=True)
    second = registry.add(_head(2.0), report={"after": {}}, activate=True)
    assert first != second
    assert registry.active() == second
    assert WildlifeHead.load(registry.active_path()).bias == 2.0
    assert [v.version for v in registry.versions() if v.active] == [second]

    assert registry.rollback() == first
    assert WildlifeHead.load(registry.active_path()).bias == 1.0
    assert registry.rollback() is None
    assert registry.active_path() is None
    with pytest.raises(ClassifierError, match="nothing to roll back"):
        registry.rollback()
    # Rolled-back heads are kept on disk, never deleted.
    assert len(registry.versions()) == 2
    assert (tmp_path / "heads" / f"{second}.report.json").is_file()


def test_a_head_kept_but_not_activated_leaves_the_active_one(tmp_path: Path) -> None:
    registry = HeadRegistry(tmp_path)
    first = registry.add(_head(1.0), activate=True)
    registry.add(_head(2.0), activate=False)
    assert registry.active() == first
    assert len(registry.versions()) == 2


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="no trained head"):
        HeadRegistry(tmp_path).activate("nope")


def test_a_kept_head_can_be_activated_later_and_rolled_back(tmp_path: Path) -> None:
    registry = HeadRegistry(tmp_path)
    first = registry.add(_head(1.0), activate=True)
    kept = registry.add(_head(2.0), report={"after": {}}, activate=False)
    registry.activate(kept)
    assert WildlifeHead.load(registry.active_path()).bias == 2.0
    assert registry.rollback() == first


@pytest.mark.parametrize("name", ["", "../heads/x", "x/../y", ".hidden", "{v}.report", "/etc/x"])
def test_only_a_stored_head_can_be_activated(tmp_path: Path, name: str) -> None:
    registry = HeadRegistry(tmp_path)
    version = registry.add(_head(1.0), report={"after": {}}, activate=False)
    (tmp_path / "x.json").write_text("{}")  # a file outside heads/ is not a version
    with pytest.raises(ClassifierError, match="no trained head"):
        registry.activate(name.format(v=version))
    assert registry.active() is None


def test_a_corrupt_head_is_not_activated(tmp_path: Path) -> None:
    registry = HeadRegistry(tmp_path)
    version = registry.add(_head(1.0), activate=False)
    registry.path_of(version).write_text('{"format": "something else"}')
    with pytest.raises(ClassifierError, match="is not a"):
        registry.activate(version)
    assert registry.active() is None
