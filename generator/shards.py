"""Shard formats that large-scale training tools read: WebDataset tar shards and Parquet.

One shard per journaled chunk of the dataset writer, so shards are written, resumed, verified and
repaired exactly like PNG folders. Both are deterministic: same spec, seed and n, same bytes.

- ``webdataset``: ``shards/000042.tar`` holding ``KEY.png``, ``KEY.txt`` (the label, UTF-8) and
  ``KEY.json`` (the metadata row) per sample; ``webdataset.WebDataset`` reads them as-is.
- ``parquet``: ``shards/000042.parquet`` with an ``image`` column (``{bytes, path}``, the Hugging
  Face ``Image`` feature, declared in the schema metadata) and one column per metadata field:
  ``datasets.load_dataset("parquet")``, pandas and pyarrow read them with labels as strings.

A sample's ``file_name`` in metadata.jsonl is ``shards/000042.tar#KEY.png``: shard and member.
"""

from __future__ import annotations

import functools
import io
import json
import tarfile
from pathlib import Path

SHARD_FORMATS = {"webdataset": "tar", "parquet": "parquet"}

# Hugging Face reads the column types from this schema metadata (its `Features` encoding).
_HF_FEATURES = {
    "info": {
        "features": {
            "image": {"_type": "Image"},
            "text": {"dtype": "string", "_type": "Value"},
            "index": {"dtype": "int64", "_type": "Value"},
            "seed": {"dtype": "int64", "_type": "Value"},
            "style": {"dtype": "string", "_type": "Value"},
            "length": {"dtype": "int64", "_type": "Value"},
            "sha256": {"dtype": "string", "_type": "Value"},
        }
    }
}


def shard_name(chunk: int, fmt: str) -> str:
    return f"shards/{chunk:06d}.{SHARD_FORMATS[fmt]}"


def encode_shard(fmt: str, rows: list[dict], images: list[bytes]) -> bytes:
    """The shard file's bytes for these samples (rows carry their final file_name)."""
    if fmt == "webdataset":
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for row, data in zip(rows, images, strict=True):
                key = _member(row["file_name"]).rsplit(".", 1)[0]
                for name, payload in (
                    (f"{key}.png", data),
                    (f"{key}.txt", row["text"].encode()),
                    (f"{key}.json", json.dumps(row, ensure_ascii=False).encode()),
                ):
                    info = tarfile.TarInfo(name)  # fixed owner, mode and time: same bytes
                    info.size, info.mode, info.mtime = len(payload), 0o644, 0
                    tar.addfile(info, io.BytesIO(payload))
        return buf.getvalue()
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "image": pa.array(
                [
                    {"bytes": d, "path": _member(r["file_name"])}
                    for r, d in zip(rows, images, strict=True)
                ],
                type=pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
            ),
            **{
                key: pa.array([r[key] for r in rows], type=kind)
                for key, kind in (
                    ("text", pa.string()),
                    ("index", pa.int64()),
                    ("seed", pa.int64()),
                    ("style", pa.string()),
                    ("length", pa.int64()),
                    ("sha256", pa.string()),
                )
            },
        }
    )
    table = table.replace_schema_metadata({"huggingface": json.dumps(_HF_FEATURES)})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none")  # PNG bytes do not compress further
    return buf.getvalue()


def _member(file_name: str) -> str:
    return file_name.split("#", 1)[1]


def split_name(file_name: str) -> tuple[str, str | None]:
    """(file, member) of a metadata file_name; member is None for a plain image file."""
    if "#" in file_name:
        shard, member = file_name.split("#", 1)
        return shard, member
    return file_name, None


@functools.lru_cache(maxsize=8)
def _shard_members(path: str, mtime_ns: int) -> dict[str, bytes]:
    """Every image in one shard, by member name (cached: training reads shards repeatedly)."""
    if path.endswith(".tar"):
        with tarfile.open(path) as tar:
            return {
                m.name: tar.extractfile(m).read()
                for m in tar.getmembers()
                if m.isfile() and m.name.endswith(".png")
            }
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["image"]).column("image").to_pylist()
    return {item["path"]: item["bytes"] for item in column}


def read_member(root: Path, file_name: str) -> bytes:
    """The image bytes a metadata file_name points to (a file, or a member of a shard)."""
    shard, member = split_name(file_name)
    if member is None:
        return (root / shard).read_bytes()
    path = root / shard
    try:
        members = _shard_members(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise
    except Exception as err:  # a damaged shard reads as missing images, never a crash
        raise OSError(f"shard {shard} is unreadable ({err})") from None
    if member not in members:
        raise OSError(f"{member} is not in shard {shard}")
    return members[member]
