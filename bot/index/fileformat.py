"""The index file's format: one uncompressed .npz of flat arrays and a JSON header, checked on read.

`encode` lays an index in hand out as arrays (one piece per note file, joined while writing) and
`write_npz` writes them with a sha256 over the metadata and every member's CRC-32; `read_npz` views the
members in place (no pickles, every CRC checked) and `decode` checks every array field by field and
rebuilds the note entries and the BM25 views from them. Anything unexpected raises: a corrupt,
truncated or foreign file is rebuilt, never trusted (index/store.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bot.index.arrays import ints, offsets
from bot.index.build import CHANNELS, SearchIndex, Tables
from bot.index.channels import Weights
from bot.index.keys import built_from, tuning_key
from bot.index.notefiles import NoteEntry, NoteRecord, SectionList, bounds
from bot.index.types import IndexData, IndexTuning, Saved

FORMAT = 6
# Everything but the metadata is a flat numpy array: no pickle, no per-token JSON, read back with
# a few slices. Texts are stored once per note (a section's text is a span of its note's).
_SEEN_ARRAYS = ("seen", "seen_bounds")  # per channel, beside its own: each file's terms, first seen
_TEXTS = ("note", "bodies", "titles")  # UTF-8, one stretch per file (`<name>_bounds`: byte offsets)
_PER_SECTION = ("lines", "levels", "spans", "body_sizes", "path_lens")  # NoteRecord's order
ARRAY_NAMES = {
    "meta",
    "check",
    *_TEXTS,
    *(f"{k}_bounds" for k in _TEXTS),
    *_PER_SECTION,
    "title_sizes",
    "tok_ids",
    "tok_bounds",
    *(f"{ch.name}_{k}" for ch in CHANNELS for k in (*ch.array_names, *_SEEN_ARRAYS)),
}


def write_npz(fh: Any, payload: bytes, arrays: dict[str, np.ndarray | list[np.ndarray]]) -> None:
    """An uncompressed .npz (np.load reads it): 'meta', every array (given whole or as pieces, one per
    note file), then 'check', a sha256 over the metadata and each member's CRC-32, which zip computes
    while writing (the bytes are read once)."""
    crcs: dict[str, int] = {}
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, value in [("meta", np.frombuffer(payload, dtype=np.uint8)), *arrays.items()]:
            pieces = value if isinstance(value, list) else [value]
            dtype = pieces[0].dtype
            head = np.lib.format.header_data_from_array_1_0(pieces[0])
            head["shape"] = (sum(len(p) for p in pieces), *pieces[0].shape[1:])
            with z.open(f"{name}.npy", "w", force_zip64=True) as out:
                np.lib.format.write_array_header_1_0(out, head)
                # Thousands of small pieces: one C-level join per array beats a write call per piece.
                whole = np.concatenate(pieces).astype(dtype, copy=False) if len(pieces) > 1 else pieces[0]
                out.write(memoryview(np.ascontiguousarray(whole)).cast("B"))
            crcs[name] = z.getinfo(f"{name}.npy").CRC
        check = np.frombuffer(checksum(payload, crcs).encode("ascii"), dtype=np.uint8)
        with z.open("check.npy", "w") as out:
            np.lib.format.write_array(out, check)


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(arrays, CRC-32 per member) of an uncompressed .npz such as write_npz makes, the arrays as
    read-only views of the file's bytes, read in one go (np.load copies each member). Every member's CRC is
    checked. No pickles: an object dtype is refused like np.load's allow_pickle=False. Anything
    unexpected raises."""
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    out: dict[str, np.ndarray] = {}
    crcs: dict[str, int] = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        if info.compress_type != zipfile.ZIP_STORED or name == info.filename or name in out:
            raise ValueError(f"unexpected member {info.filename!r}")
        at = info.header_offset
        if data[at : at + 4] != b"PK\x03\x04":
            raise ValueError(f"{name}: bad local header")
        name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
        start = at + 30 + name_len + extra_len
        if zlib.crc32(memoryview(data)[start : start + info.file_size]) != info.CRC:
            raise ValueError(f"{name}: CRC mismatch")
        crcs[name] = info.CRC
        fp = io.BytesIO(data[start : start + min(info.file_size, 1 << 16)])
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"{name}: .npy version {version}")
        if dtype.hasobject or fortran or any(d < 0 for d in shape):
            raise ValueError(f"{name}: object, Fortran-ordered or negative-shaped array")
        count = math.prod(shape)
        offset = start + fp.tell()
        if offset + count * dtype.itemsize > start + info.file_size:
            raise ValueError(f"{name}: array larger than its member")
        out[name] = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
    return out, crcs


def checksum(payload: bytes, crcs: dict[str, int]) -> str:
    """sha256 over the metadata and every member's name and CRC-32 (a member's CRC covers its .npy
    header, so dtype and shape too). It catches damage and hand edits, not an attacker."""
    h = hashlib.sha256(payload)
    for name in sorted(set(crcs) - {"check"}):
        h.update(f"{name}:{crcs[name]:08x};".encode())
    return h.hexdigest()


def encode(data: IndexData, folder: Path) -> tuple[bytes, dict[str, np.ndarray | list[np.ndarray]]]:
    idx, entries = data.index, list(data.entries.values())
    records = [e.record for e in entries]
    channels = [(ch.name, *ch.save(view)) for ch, view in zip(CHANNELS, idx.views, strict=True)]
    meta = {
        "format": FORMAT,
        "folder": str(folder),
        "built_from": built_from(data.analyzer.lexicon),
        "tuning": tuning_key(data.tuning),
        "weights": asdict(idx.weights),
        "sections": len(idx.sections),
        "views": {name: own_meta for name, own_meta, _ in channels},
        "files": [[e.source, e.digest, list(e.stamp), e.n_sections] for e in entries],
    }
    tok_offsets = np.cumsum([0, *(e.token_bounds[-1] for e in entries)])
    # Lists: one piece per note file, joined by write_npz.
    arrays: dict[str, np.ndarray | list[np.ndarray]] = {
        **{f"{k}_bounds": bounds([len(getattr(r, k)) for r in records]) for k in _TEXTS},
        **{k: [np.frombuffer(getattr(r, k), dtype=np.uint8) for r in records] for k in _TEXTS},
        **{k: [getattr(r, k) for r in records] for k in _PER_SECTION},
        "title_sizes": [r.title_sizes for r in records],
        "tok_ids": [e.token_ids for e in entries],
        "tok_bounds": np.concatenate(
            [e.token_bounds[:-1] + off for e, off in zip(entries, tok_offsets, strict=False)]
            + [tok_offsets[-1:]]
        ).astype(np.int64),
    }
    for k, (name, _, own) in enumerate(channels):
        seen = [e.seen[k] for e in entries]
        arrays |= {**own, f"{name}_seen": seen, f"{name}_seen_bounds": bounds([len(x) for x in seen])}
    return json.dumps(meta, ensure_ascii=False).encode(), arrays


def decode(meta: dict[str, Any], arrays: dict[str, np.ndarray], tuning: IndexTuning) -> Saved:
    files = [(str(src), str(dg), tuple(int(x) for x in st), int(k)) for src, dg, st, k in meta["files"]]
    n = int(meta["sections"])
    starts = bounds([k for *_, k in files]).tolist()  # each file's first section
    if starts[-1] != n or any(k < 0 for *_, k in files):
        raise ValueError("section count disagrees")
    texts = {
        k: (arrays[k], offsets(arrays, f"{k}_bounds", len(files), len(arrays[k])).tolist()) for k in _TEXTS
    }
    per_section = {k: arrays[k] for k in _PER_SECTION}
    for k, a in per_section.items():
        if a.dtype.kind not in "iu" or len(a) != n or (k == "spans") != (a.ndim == 2):
            raise ValueError(f"{k}: wrong type or length")
    path_lens, title_sizes = per_section["path_lens"], ints(arrays, "title_sizes")
    item_starts = bounds(path_lens).tolist()
    if item_starts[-1] != len(title_sizes) or (path_lens < 0).any() or (title_sizes < 0).any():
        raise ValueError("heading paths disagree")
    tok_ids = ints(arrays, "tok_ids")
    tb = offsets(arrays, "tok_bounds", 4 * n, len(tok_ids))
    weights = Weights(**meta["weights"])
    views = tuple(ch.load(meta["views"][ch.name], arrays, n, tuning.bm25) for ch in CHANNELS)
    tables = Tables(tuple(v.terms for v in views))
    if len(tok_ids) and (tok_ids.min() < 0 or tok_ids.max() >= len(tables.morph)):
        raise ValueError("token ids out of range")
    seen = []
    for v, terms in zip((ch.name for ch in CHANNELS), tables.terms, strict=True):
        ids = ints(arrays, f"{v}_seen")
        if len(ids) and (ids.min() < 0 or ids.max() >= len(terms)):
            raise ValueError(f"{v}: term ids out of range")
        sb = offsets(arrays, f"{v}_seen_bounds", len(files), len(ids)).tolist()
        seen.append([ids[sb[i] : sb[i + 1]] for i in range(len(files))])

    entries: dict[str, NoteEntry] = {}
    for f, (src, digest, stamp, _) in enumerate(files):
        if src in entries:
            raise ValueError(f"{src} listed twice")
        lo, hi = starts[f], starts[f + 1]
        blobs = [blob[b[f] : b[f + 1]].tobytes() for blob, b in texts.values()]
        record = NoteRecord(
            *blobs,
            *(per_section[k][lo:hi] for k in _PER_SECTION),
            title_sizes[item_starts[lo] : item_starts[hi]],
        )
        edges = tb[4 * lo : 4 * hi + 1]
        entries[src] = NoteEntry(
            src,
            digest,
            (stamp[0], stamp[1], stamp[2]),
            record,
            tok_ids[edges[0] : edges[-1]],
            edges - edges[0],
            weights,
            tuple(s[f] for s in seen),
        )
    sections = SectionList(list(entries.values()))
    index = SearchIndex(sections, views, weights)
    if meta.get("tuning") != tuning_key(tuning):
        return Saved(entries, tables, None, index)  # tokens and counts still good; the ranking differs
    return Saved(entries, tables, index, index)
