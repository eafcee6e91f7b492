"""``wildwatch classify``: the JSON-lines contract other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

GOOD = [
    {
        "id": "a1",
        "title": "Raw elephant ivory tusk for sale",
        "description": "2.4 kg, DM for price",
        "lang": "en",
        "price": 5000,
        "currency": "USD",
        "url": "https://shop.example/a1",
    },
    {"id": 7, "title": "出售象牙手镯 老料 微信联系"},
    {"id": "a3", "title": "Resin elephant figurine, hand painted", "lang": "en"},
    {"id": "a4", "title": "Xe đạp thể thao cũ, còn mới 90%", "lang": "vi"},
]
KEYS = {"id", "wildlife_product", "risk", "flagged", "tier", "species", "reasons"}


def lines(*objects: object) -> str:
    return "".join(
        (o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n" for o in objects
    )


def parse(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_every_line_gets_a_result_with_the_contract_fields(tmp_path: Path) -> None:
    result = run_cli(
        "classify", "--input", "-", "--output", "-", stdin=lines(*GOOD), data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = parse(result.stdout)
    assert [o["id"] for o in out] == ["a1", 7, "a3", "a4"]  # ids come back exactly as given
    for o in out:
        assert set(o) == KEYS
        assert 0 <= o["wildlife_product"] <= 1 and 0 <= o["risk"] <= 1
        assert o["tier"] in {"high", "medium", "low", "none"}
        for s in o["species"]:
            assert set(s) == {"name", "scientific_name", "cites_appendix"}
        for r in o["reasons"]:
            assert set(r) == {"kind", "term", "start", "end"}
    ivory, chinese, resin, bike = out
    assert ivory["flagged"] and chinese["flagged"]
    assert not resin["flagged"] and not bike["flagged"]
    assert ivory["risk"] > resin["risk"] and chinese["risk"] > bike["risk"]
    assert any(s["cites_appendix"] == "I" for s in ivory["species"])


def test_reason_spans_point_into_title_newline_description(tmp_path: Path) -> None:
    result = run_cli("classify", stdin=lines(GOOD[0]), data_dir=tmp_path)
    (out,) = parse(result.stdout)
    text = GOOD[0]["title"] + "\n" + GOOD[0]["description"]
    assert out["reasons"]
    for reason in out["reasons"]:
        assert text[reason["start"] : reason["end"]].casefold() == reason["term"].casefold()


def test_bad_lines_are_named_on_stderr_and_the_rest_still_come_out(tmp_path: Path) -> None:
    stdin = lines(
        GOOD[0], "{not json", [1, 2], {"id": "x"}, {"id": None, "title": "t"}, "", GOOD[1]
    )
    result = run_cli("classify", stdin=stdin, data_dir=tmp_path)
    assert result.returncode == 1
    assert [o["id"] for o in parse(result.stdout)] == ["a1", 7]
    errors = result.stderr.splitlines()
    assert any("line 2:" in e and "not valid JSON" in e for e in errors)
    assert any("line 3:" in e and "JSON object" in e for e in errors)
    assert any("line 4:" in e and "title" in e for e in errors)
    assert any("line 5:" in e and "id" in e for e in errors)
    assert not any("line 6:" in e for e in errors)  # a blank line is no error
    assert "4 of 6 input lines skipped" in result.stderr


def test_files_in_and_out(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(lines(*GOOD), encoding="utf-8")
    result = run_cli("classify", "--input", str(source), "--output", str(target), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert len(parse(target.read_text(encoding="utf-8"))) == len(GOOD)


def test_missing_input_file_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("classify", "--input", str(tmp_path / "nope.jsonl"), data_dir=tmp_path)
    assert result.returncode != 0
    assert "nope.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
