"""Labelled folders of real captchas, as evaluation sets and as k-shot training pools.

A folder is read as one of (first match wins):

- a captchagen dataset (``dataset.json`` + ``metadata.jsonl``);
- ``metadata.jsonl`` (Hugging Face imagefolder: one ``{"file_name", "text"}`` object a line);
- ``metadata.csv`` or ``labels.csv`` with a ``file_name,text`` header (labels read as strings:
  ``0012`` stays ``0012``).

Images may have any size; they are read as grayscale arrays. The folder's digest covers every
label and every image byte, so two reports on the same folder can be compared sample by sample.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from crnn.preprocess import ImageInputError, read_image
from generator.errors import UserError
from generator.jsonfile import JsonFileError, check_shape, parse_json
from generator.text import fold_case

LABEL_FILES = ("metadata.jsonl", "metadata.csv", "labels.csv")
MAX_FOLDER_IMAGES = 200_000


class FolderError(UserError):
    pass


@dataclass
class LabelledFolder:
    root: Path
    names: list[str]  # file names relative to root
    texts: list[str]
    images: list[np.ndarray]  # uint8 (H, W) grey, or (H, W, 3) RGB for a colour reader
    digest: str
    image_sha: list[str] = field(default_factory=list)  # sha256 of each image file's bytes
    alphabet: str | None = None  # what a captchagen dataset declares it draws; else unknown

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def name(self) -> str:
        return self.root.resolve().name

    def subset(self, indices: list[int]) -> LabelledFolder:
        return LabelledFolder(
            self.root,
            [self.names[k] for k in indices],
            [self.texts[k] for k in indices],
            [self.images[k] for k in indices],
            self.digest,
            [self.image_sha[k] for k in indices] if self.image_sha else [],
            self.alphabet,
        )


def _rows_from_jsonl(path: Path) -> list[tuple[str, str]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise FolderError(f"{path} is not UTF-8 text") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            row = check_shape(parse_json(line, where), {"file_name": str, "text": str}, where)
        except JsonFileError as err:
            raise FolderError(str(err)) from None
        rows.append((row["file_name"], row["text"]))
    return rows


def _rows_from_csv(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FolderError(f"{path} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"file_name", "text"} <= set(reader.fieldnames):
        raise FolderError(
            f"{path} needs a header with file_name and text columns, "
            f"got {','.join(reader.fieldnames or []) or 'none'}"
        )
    return [(row["file_name"] or "", row["text"] or "") for row in reader]


def _label_rows(root: Path) -> tuple[list[tuple[str, str]], str]:
    for name in LABEL_FILES:
        path = root / name
        if path.is_file():
            reader = _rows_from_jsonl if name.endswith(".jsonl") else _rows_from_csv
            return reader(path), name
    raise FolderError(
        f"{root} holds no labels: add metadata.csv or labels.csv with a file_name,text header "
        "(or metadata.jsonl), one row per image"
    )


def open_labelled_folder(path: str | Path, colour: bool = False) -> LabelledFolder:
    """A folder of labelled images; grey (H, W) arrays, or (H, W, 3) RGB for a colour reader."""
    root = Path(path)
    if not root.is_dir():
        raise FolderError(f"labelled folder not found: {root}")
    rows, label_file = _label_rows(root)
    if not rows:
        raise FolderError(f"{root / label_file} lists no images")
    if len(rows) > MAX_FOLDER_IMAGES:
        raise FolderError(
            f"{root / label_file} lists {len(rows)} images; at most {MAX_FOLDER_IMAGES:,}"
        )
    digest = hashlib.sha256((root / label_file).read_bytes())
    names, texts, images, shas = [], [], [], []
    for name, text in rows:
        if not text:
            raise FolderError(f"{root / label_file}: {name!r} has an empty label")
        gray, sha = _read_pixels(
            root, name, f"{root / label_file} lists {name}, which is missing", colour
        )
        digest.update(bytes.fromhex(sha))
        names.append(name)
        texts.append(text)
        images.append(gray)
        shas.append(sha)
    return LabelledFolder(
        root, names, texts, images, digest.hexdigest(), shas, _declared_alphabet(root)
    )


def _declared_alphabet(root: Path) -> str | None:
    """A captchagen dataset's charset (its dataset.json, validated); None for bare labels."""
    if not (root / "dataset.json").exists():
        return None
    from generator.dataset import DatasetError, open_dataset

    try:
        return str(open_dataset(root).manifest["charset"])
    except DatasetError as err:
        raise FolderError(str(err)) from None


def _read_pixels(
    root: Path, name: str, missing: str, colour: bool = False
) -> tuple[np.ndarray, str]:
    """One image of a folder as a grey (or, ``colour``, RGB) array, with the sha256 of its
    bytes."""
    file = (root / name).resolve()
    if root.resolve() not in file.parents:
        raise FolderError(f"{root}: {name!r} points outside the folder")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise FolderError(missing) from None
    except OSError as err:
        raise FolderError(f"cannot read {root / name}: {err.strerror or err}") from None
    try:
        gray = np.asarray(read_image(data, str(root / name)).convert("RGB" if colour else "L"))
    except ImageInputError as err:
        raise FolderError(str(err)) from None
    return gray, hashlib.sha256(data).hexdigest()


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


@dataclass
class ImageFolder:
    """Images without labels (what an attacker collects by loading the captcha page), for
    self-training; any label files in the folder are ignored."""

    root: Path
    names: list[str]
    images: list[np.ndarray]
    image_sha: list[str]
    digest: str

    @property
    def n(self) -> int:
        return len(self.images)


def open_image_folder(path: str | Path, colour: bool = False) -> ImageFolder:
    """Every image under ``path`` (searched recursively, in sorted order); grey arrays, or RGB
    for a colour reader."""
    root = Path(path)
    if not root.is_dir():
        raise FolderError(f"image folder not found: {root}")
    names = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )
    if not names:
        raise FolderError(f"{root} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    if len(names) > MAX_FOLDER_IMAGES:
        raise FolderError(f"{root} holds {len(names)} images; at most {MAX_FOLDER_IMAGES:,}")
    digest = hashlib.sha256()
    images, shas = [], []
    for name in names:
        gray, sha = _read_pixels(root, name, f"{root / name} vanished while being read", colour)
        digest.update(bytes.fromhex(sha))
        images.append(gray)
        shas.append(sha)
    return ImageFolder(root, names, images, shas, digest.hexdigest())


def fit_labels(folder: LabelledFolder, chars: str, model: str) -> tuple[LabelledFolder, int]:
    """The folder with its labels in the reader's case, and how many labels that changed.

    A reader whose alphabet has one case (``universal``: digits and capitals) reads captchas
    case-insensitively, so ``abc7`` is its ``ABC7``: labels are folded, as a person answering
    would be. Characters it still cannot write are one line naming them, and the ways out."""
    folded = [fold_case(t, chars) for t in folder.texts]
    changed = sum(a != b for a, b in zip(folded, folder.texts, strict=True))
    if changed:
        folder = replace(folder, texts=folded)
    known = set(chars)
    missing = sorted({c for t in folder.texts for c in t if c not in known})
    if missing:
        hint = ""
        if all(c.upper() in known or c.lower() in known for c in missing):
            hint = " (other-case forms of characters the model knows; it tells case apart)"
        raise FolderError(
            f"labels in {folder.root} use characters model {model} cannot output: "
            f"{''.join(missing)!r}{hint}; relabel them, or fine-tune with `crnn train --init` "
            "on data with this alphabet"
        )
    return folder, changed


def held_out_split(n: int, test_share: float, seed: int) -> tuple[list[int], list[int]]:
    """A fixed (train pool, test) split of n items, a pure function of (n, share, seed)."""
    order = np.random.default_rng(np.random.SeedSequence([seed, n, 7])).permutation(n).tolist()
    n_test = max(1, round(n * test_share))
    return sorted(order[n_test:]), sorted(order[:n_test])
