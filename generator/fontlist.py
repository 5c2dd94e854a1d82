"""Font lists: a recipe's machine fonts, named and checked.

A folder or ``@system`` in a spec's ``text.fonts`` renders whatever that machine holds, so a run
made from one cannot be repeated elsewhere with any confidence. A *font list* (a ``.json`` entry)
names each face by file name, the package it comes from and the SHA-256 of its bytes, in the
order the renderer draws from. Resolving one finds every face (at its recorded path, else by
name among this machine's fonts), checks its digest, and refuses with one line naming what is
missing and which packages to install: a recipe renders the same bytes or does not run.

Format (written by ``captchagen fonts --lock``)::

    {"format": "captchabench-fontlist", "version": 1,
     "faces": [{"file": "8bitlim.ttf", "sha256": "…", "path": "/usr/share/fonts/…/8bitlim.ttf",
                "source": "fonts-aenigma"}, …]}

``source`` (the package that installs the face) is optional; ``path`` is a hint only.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from .fonts import FontError, system_fonts
from .io import atomic_write_text
from .jsonfile import JsonFileError, check_shape, read_json

FORMAT = "captchabench-fontlist"
VERSION = 1
_SHAPE = {
    "format": str,
    "version": int,
    "faces": [{"file": str, "sha256": str, "path?": str, "source?": (str, type(None))}],
}
_SHOWN = 3  # faces named in a refusal before "and N more"


class FontListError(FontError):
    """A font list that does not parse, or whose faces this machine lacks or holds changed."""


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check(doc: dict, where: str) -> list[dict]:
    check_shape(doc, _SHAPE, where)
    if doc["format"] != FORMAT or doc["version"] != VERSION:
        raise FontListError(
            f"{where} is not a captchabench font list (format {doc['format']!r} version "
            f"{doc['version']}; expected {FORMAT!r} version {VERSION})"
        )
    faces = doc["faces"]
    if not faces:
        raise FontListError(f"{where} lists no face")
    for face in faces:
        name, digest = face["file"], face["sha256"]
        if Path(name).name != name or not name:
            raise FontListError(f"{where}: face file {name!r} must be a bare file name")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise FontListError(f"{where}: face {name} has no valid sha256")
    return faces


def _by_name(candidates: tuple[Path, ...]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in candidates:
        found.setdefault(path.name, []).append(path)
    return found


def read_font_list(list_path: str | Path) -> list[dict]:
    """The faces a font list records (file, sha256, optional path and source), shape-checked."""
    where = f"font list {list_path}"
    try:
        return _check(read_json(list_path, what=where), where)
    except JsonFileError as err:
        raise FontListError(str(err)) from None


@functools.cache
def resolve_font_list(list_path: str) -> tuple[Path, ...]:
    """The faces ``list_path`` names, in its order, each checked against its digest."""
    where = f"font list {list_path}"
    faces = read_font_list(list_path)
    machine: dict[str, list[Path]] | None = None  # this machine's fonts, looked up once if needed
    resolved: list[Path] = []
    missing: list[dict] = []
    changed: list[str] = []
    for face in faces:
        hint = Path(face["path"]) if face.get("path") else None
        if hint is not None and hint.name == face["file"] and hint.is_file():
            if file_sha256(hint) == face["sha256"]:
                resolved.append(hint)
                continue
            candidates = [hint]  # another version at the recorded path: look further
        else:
            candidates = []
        if machine is None:
            machine = _by_name(system_fonts())
        candidates += [p for p in machine.get(face["file"], []) if p != hint]
        match = next((p for p in candidates if file_sha256(p) == face["sha256"]), None)
        if match is not None:
            resolved.append(match)
        elif candidates:
            changed.append(face["file"])
        else:
            missing.append(face)
    if missing:
        names = ", ".join(f["file"] for f in missing[:_SHOWN])
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        sources = sorted({f["source"] for f in missing if f.get("source")})
        hint = f"; they come from {', '.join(sources)}" if sources else ""
        raise FontListError(
            f"{where}: {len(missing)} of {len(faces)} faces are not on this machine "
            f"({names}{more}){hint}"
        )
    if changed:
        names = ", ".join(changed[:_SHOWN])
        more = f" and {len(changed) - _SHOWN} more" if len(changed) > _SHOWN else ""
        raise FontListError(
            f"{where}: {len(changed)} of {len(faces)} faces on this machine differ from the "
            f"recorded ones ({names}{more}: another version of their package?)"
        )
    return tuple(resolved)


def font_list_document(paths: list[Path], sources: dict[Path, str] | None = None) -> dict:
    """The font list of ``paths`` (in that order); ``sources`` maps a face to its package."""
    sources = sources or {}
    faces = []
    for path in paths:
        real = Path(path).resolve()
        face = {"file": real.name, "sha256": file_sha256(real), "path": str(real)}
        if path in sources or real in sources:
            face["source"] = sources.get(path, sources.get(real))
        faces.append(face)
    return {"format": FORMAT, "version": VERSION, "faces": faces}


def write_font_list(out: str | Path, paths: list[Path], sources=None) -> dict:
    doc = font_list_document(paths, sources)
    check_shape(doc, _SHAPE, str(out))
    atomic_write_text(out, json.dumps(doc, indent=1) + "\n")
    return doc
