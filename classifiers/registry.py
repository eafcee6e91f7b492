"""Trained heads kept side by side, one of them active, the earlier ones kept for rollback.

Layout under the registry root (the app puts it at ``DATA_DIR/models``)::

    heads/<version>.json      one file per trained head, never modified afterwards
    heads/<version>.report.json   the test-split comparison made when it was trained
    state.json                {"active": VERSION | null, "history": [VERSION, ...]}

``active`` null means the head shipped with wildwatch. ``history`` lists the versions
that have been active, oldest first; rollback steps back one entry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.errors import ClassifierError
from classifiers.head import WildlifeHead

__all__ = ["HeadRegistry", "HeadVersion"]


@dataclass(frozen=True, slots=True)
class HeadVersion:
    version: str
    path: Path
    active: bool
    meta: dict[str, Any]


class HeadRegistry:
    """The heads trained in one data directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.heads = self.root / "heads"
        self.state_file = self.root / "state.json"

    # -- state -----------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"active": None, "history": []}
        except (OSError, ValueError) as exc:
            raise ClassifierError(f"cannot read {self.state_file}: {exc}") from exc
        return {"active": state.get("active"), "history": list(state.get("history", []))}

    def _write_state(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.state_file)

    # -- queries ---------------------------------------------------------------------

    def path_of(self, version: str) -> Path:
        path = self.heads / f"{version}.json"
        if (
            not version
            or path.name != f"{version}.json"  # a path, not a version name
            or version.startswith(".")
            or version.endswith(".report")  # the report beside a head is not one
            or not path.is_file()
        ):
            raise ClassifierError(f"no trained head {version!r} in {self.heads}")
        return path

    def active(self) -> str | None:
        """The active version, or None for the shipped head."""
        return self._state()["active"]

    def active_path(self) -> Path | None:
        version = self.active()
        return self.path_of(version) if version else None

    def versions(self) -> list[HeadVersion]:
        active = self.active()
        out = []
        for path in sorted(self.heads.glob("*.json")):
            if path.name.endswith(".report.json"):
                continue
            head = WildlifeHead.load(path)
            out.append(HeadVersion(path.stem, path, path.stem == active, dict(head.meta)))
        return out

    # -- changes ---------------------------------------------------------------------

    def add(
        self, head: WildlifeHead, *, report: dict[str, Any] | None = None, activate: bool
    ) -> str:
        """Store `head` under a new version (and its report); make it active if asked."""
        self.heads.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        version, n = stamp, 1
        while (self.heads / f"{version}.json").exists():
            n += 1
            version = f"{stamp}-{n}"
        head.save(self.heads / f"{version}.json")
        if report is not None:
            (self.heads / f"{version}.report.json").write_text(
                json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
        if activate:
            self.activate(version)
        return version

    def activate(self, version: str) -> None:
        """Make `version` the active head; it must be one of the registry's and load."""
        WildlifeHead.load(self.path_of(version))
        state = self._state()
        if state["active"] != version:
            state["history"].append(version)
        state["active"] = version
        self._write_state(state)

    def rollback(self) -> str | None:
        """Make the previously active head active again; returns it (None: shipped)."""
        state = self._state()
        if state["active"] is None:
            raise ClassifierError("the shipped head is active; there is nothing to roll back")
        history = [v for v in state["history"] if (self.heads / f"{v}.json").is_file()]
        if history and history[-1] == state["active"]:
            history.pop()
        previous = history[-1] if history else None
        self._write_state({"active": previous, "history": history})
        return previous
