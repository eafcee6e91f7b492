"""`wildwatch eval`, `wildwatch train --from-reviews` and model rollback, end to end
with the real encoder, the shipped head and the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from indexer import Database
from tests.conftest import run_cli
from tests.indexer.test_store import listing, save
from wildwatch.learning import activation_blockers


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("eval")
    result = run_cli("eval", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_eval_meets_the_f1_targets_on_the_fixed_test_split(report: dict[str, Any]) -> None:
    assert report["split"] == "test"
    assert report["n"] >= 600
    assert report["overall"]["f1"] >= 0.95, report["overall"]
    big = {k: v for k, v in report["per_language"].items() if v["n"] >= 50}
    assert len(big) >= 8
    for lang, metrics in big.items():
        assert metrics["f1"] >= 0.90, (lang, metrics)
        assert set(metrics) >= {"precision", "recall", "f1", "n"}


def test_eval_reports_families_confusion_calibration_and_speed(report: dict[str, Any]) -> None:
    assert {"ivory", "horn", "scales", "live"} <= set(report["per_family"])
    assert set(report["confusion"]) >= {"offer", "coded", "lookalike", "ordinary"}
    # Few ordinary goods reach the review queue, and no news post does.
    ordinary = report["confusion"]["ordinary"]
    assert (ordinary["high"] + ordinary["medium"]) / sum(ordinary.values()) <= 0.03
    assert report["confusion"]["news"]["high"] + report["confusion"]["news"]["medium"] == 0
    assert report["listings_per_second"] > 0
    assert report["calibration"]["ece"] < 0.1


def test_disguised_offers_score_within_a_tenth_of_their_plain_form(
    report: dict[str, Any],
) -> None:
    evasion = report["evasion"]
    per = evasion["per_technique"]
    assert evasion["n"] >= 200
    # Tricks on the letters are undone completely.
    for technique in (
        "spaced_letters",
        "dotted_letters",
        "homoglyphs",
        "fullwidth",
        "leetspeak",
        "zero_width",
        "traditional_chinese",
    ):
        assert per[technique]["within"] == per[technique]["n"], (technique, evasion["worst"])
    # So are emoji and code words, read in the listing's context: every disguised
    # offer scores within 0.1 of its plain form.
    assert evasion["within_tolerance"] == evasion["n"], evasion["worst"]
    # Euphemisms no lexicon entry knows are reported, apart from the target.
    probe = per["unlisted_code_word"]
    assert probe["probe"] and probe["n"] >= 5
    assert evasion["n"] == sum(d["n"] for d in per.values() if not d["probe"])


def test_eval_prints_a_readable_table(tmp_path: Path) -> None:
    result = run_cli("eval", "--split", "dev", "--no-evasion", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("per language", "per product family", "confusion", "throughput"):
        assert heading in out
    assert " zh-Hant " in out and "listings/s" in out


def test_train_from_reviews_reports_the_change_and_keeps_the_old_head(tmp_path: Path) -> None:
    database = Database.for_data_dir(tmp_path)
    database.create_schema()
    save(
        database,
        listing("r1", "Carved 'ox bone' bangle, those who know", "DM, discreet", risk=0.3),
        listing("r2", "Ivory-white wedding dress, size 38", "Worn once", risk=0.5),
    )
    database.dispose()
    assert run_cli("review", "bazaar:r1", "confirm", data_dir=tmp_path).returncode == 0
    assert run_cli("review", "bazaar:r2", "dismiss", data_dir=tmp_path).returncode == 0

    result = run_cli("train", "--from-reviews", "--json", data_dir=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["review_rows"] == 2
    assert outcome["before"]["overall"]["n"] == outcome["after"]["overall"]["n"] >= 600
    version = outcome["version"]
    # Activated exactly when the test split finds nothing worse; otherwise kept, with
    # the reasons, for the reviewer to activate by hand.
    blockers = activation_blockers(outcome["before"], outcome["after"])
    assert outcome["activated"] == (not blockers), outcome["message"]
    if blockers:
        assert all(b in outcome["message"] for b in blockers)
        activated = run_cli("model", "activate", version, data_dir=tmp_path)
        assert activated.returncode == 0, activated.stderr

    listed = run_cli("model", "list", data_dir=tmp_path).stdout.splitlines()
    assert any(line.startswith(f"* {version}") for line in listed)
    assert listed[0].startswith("  shipped")

    rolled = run_cli("model", "rollback", data_dir=tmp_path)
    assert rolled.returncode == 0 and "active head: shipped" in rolled.stdout
    listed = run_cli("model", "list", data_dir=tmp_path).stdout.splitlines()
    assert listed[0].startswith("* shipped")
    assert any(line.startswith(f"  {version}") for line in listed)
    again = run_cli("model", "rollback", data_dir=tmp_path)
    assert again.returncode == 1 and "nothing to roll back" in again.stderr


def test_train_from_reviews_without_verdicts_is_refused(tmp_path: Path) -> None:
    result = run_cli("train", "--from-reviews", data_dir=tmp_path)
    assert result.returncode == 1
    assert "no reviewer verdicts" in result.stderr


def _report(f1: float, **languages: tuple[float, int]) -> dict[str, Any]:
    return {
        "overall": {"f1": f1},
        "per_language": {k: {"f1": v, "n": n} for k, (v, n) in languages.items()},
    }


def test_a_retrained_head_is_activated_only_if_no_language_falls_behind() -> None:
    before = _report(0.977, vi=(0.913, 69), ja=(0.88, 60), th=(1.0, 20))
    assert activation_blockers(before, _report(0.978, vi=(0.95, 69), ja=(0.88, 60))) == []
    # A better average does not buy a language below 0.90 ...
    [blocker] = activation_blockers(before, _report(0.980, vi=(0.894, 69), ja=(0.88, 60)))
    assert blocker.startswith("vi F1 0.8940 < 0.90")
    # ... unless it was already there and got no worse, or has too few test listings.
    assert activation_blockers(before, _report(0.977, vi=(0.92, 69), ja=(0.877, 60))) == []
    assert activation_blockers(before, _report(0.977, vi=(0.92, 69), th=(0.5, 20))) == []
    # The overall F1 may not fall either.
    assert activation_blockers(before, _report(0.96, vi=(0.92, 69)))[0].startswith("test F1")
    # Nothing to compare with (another encoder): the floor alone decides.
    assert activation_blockers(None, _report(0.96, vi=(0.92, 69))) == []
    assert activation_blockers(None, _report(0.96, ja=(0.88, 60)))


def test_model_activate_refuses_an_unknown_version(tmp_path: Path) -> None:
    result = run_cli("model", "activate", "20990101T000000Z", data_dir=tmp_path)
    assert result.returncode != 0
    assert "no trained head" in result.stderr and "wildwatch model list" in result.stderr
