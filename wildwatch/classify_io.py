"""The ``wildwatch classify`` contract: JSON lines in, one JSON line out per good line.

Input lines: ``{"id", "title", "description"?, "lang"?, "price"?, "currency"?, "url"?}``.
Output lines: ``{"id", "wildlife_product", "risk", "flagged", "tier", "species",
"reasons"}`` with ``id`` exactly as given. A line that is not such an object is
reported on stderr by line number and skipped; the others are still classified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from classifiers.item import ListingText
from crawler.listing import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, Classification

__all__ = ["BatchClassifier", "ClassifyRequest", "ClassifyRun", "classify_stream", "result_line"]


class BatchClassifier(Protocol):
    """What the stream needs of a classifier (the full one, or the rules-only one)."""

    def classify_many(self, items: Sequence[ListingText]) -> list[Classification]: ...


# A line longer than this is refused outright rather than parsed.
MAX_LINE_CHARS = 1_000_000


class ClassifyRequest(BaseModel):
    """One input line. Unknown keys are ignored so callers may pass whole records."""

    model_config = ConfigDict(extra="ignore")

    id: StrictStr | StrictInt
    title: StrictStr
    description: StrictStr | None = None
    lang: StrictStr | None = Field(default=None, max_length=16)
    price: float | None = Field(default=None, ge=0)
    currency: StrictStr | None = Field(default=None, max_length=8)
    url: StrictStr | None = Field(default=None, max_length=4096)


@dataclass
class ClassifyRun:
    """Counts from one run over an input stream."""

    lines: int = 0
    classified: int = 0
    skipped: int = 0


def to_item(request: ClassifyRequest) -> ListingText:
    return ListingText(
        request.title[:MAX_TITLE_CHARS],
        request.description[:MAX_DESCRIPTION_CHARS] if request.description else None,
        request.lang,
        request.price,
        request.currency,
    )


def result_line(request: ClassifyRequest, result: Classification) -> dict[str, Any]:
    body = result.model_dump(mode="json", include={"wildlife_product", "risk", "flagged", "tier"})
    return {
        "id": request.id,
        **body,
        "species": [s.model_dump(mode="json") for s in result.species],
        "reasons": [r.model_dump(mode="json") for r in result.reasons],
    }


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def classify_stream(
    lines: Iterable[str],
    out: TextIO,
    classifier: BatchClassifier,
    on_error: Callable[[int, str], None],
    *,
    batch_size: int = 256,
) -> ClassifyRun:
    """Classify every line of `lines`, writing results to `out` and problems to `on_error`.

    Good lines are scored in batches (the transformer is much faster that way);
    results come out in input order.
    """
    run = ClassifyRun()
    pending: list[ClassifyRequest] = []

    def flush() -> None:
        results = classifier.classify_many([to_item(r) for r in pending])
        for request, result in zip(pending, results, strict=True):
            out.write(json.dumps(result_line(request, result), ensure_ascii=False) + "\n")
        run.classified += len(pending)
        pending.clear()
        out.flush()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # blank lines carry nothing and are no error
        run.lines += 1
        request = _parse(number, line, on_error)
        if request is None:
            run.skipped += 1
            continue
        pending.append(request)
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    out.flush()
    return run


def _parse(number: int, line: str, on_error: Callable[[int, str], None]) -> ClassifyRequest | None:
    if len(line) > MAX_LINE_CHARS:
        on_error(number, f"line longer than {MAX_LINE_CHARS} characters")
        return None
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as exc:
        on_error(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
        return None
    if not isinstance(payload, dict):
        on_error(number, f"expected a JSON object, got {type(payload).__name__}")
        return None
    try:
        return ClassifyRequest.model_validate(payload)
    except ValidationError as exc:
        on_error(number, _problem(exc))
        return None
