"""Font discovery and glyph-coverage checks.

Every font ships inside an installed dependency (the ``captcha`` package, matplotlib, and the
font packages on PyPI listed in ``_WIDE_POOL``), so no font binary lives in this repository and a
spec renders the same bytes on every machine. Math and symbol faces that claim ASCII code points
but draw other shapes (cmex10, cmsy10, STIXSize*…) are left out on purpose.

A spec's ``text.fonts`` entries are face names, files, folders, or groups:

- ``@default`` — the 14 classic faces the presets use (the empty list means this too);
- ``@wide`` — those plus 40 faces of 12 more families from font packages (domain randomisation);
- ``@system`` — opt-in: every font fontconfig (``fc-list``) or the standard font folders know on
  this machine. Output then depends on the machine, so it is never part of a preset;
- a ``.json`` font list (generator/fontlist.py): machine fonts named by file, package and SHA-256,
  checked before use, so a recipe made from them renders the same bytes or refuses to run.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class FontError(UserError):
    """No usable font: missing file, unreadable font, or no font covers the charset."""


# Face name -> (package holding it, path inside that package's data folder).
_DEFAULT_POOL: dict[str, tuple[str, str]] = {
    "DroidSansMono": ("captcha", "data/DroidSansMono.ttf"),
    "DejaVuSans": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSans.ttf"),
    "DejaVuSans-Bold": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf"),
    "DejaVuSans-Oblique": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSans-Oblique.ttf"),
    "DejaVuSansMono": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSansMono.ttf"),
    "DejaVuSansMono-Bold": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSansMono-Bold.ttf"),
    "DejaVuSerif": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSerif.ttf"),
    "DejaVuSerif-Italic": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSerif-Italic.ttf"),
    "STIXGeneral": ("matplotlib", "mpl-data/fonts/ttf/STIXGeneral.ttf"),
    "STIXGeneral-Bold": ("matplotlib", "mpl-data/fonts/ttf/STIXGeneralBol.ttf"),
    "ComputerModern-Roman": ("matplotlib", "mpl-data/fonts/ttf/cmr10.ttf"),
    "ComputerModern-Bold": ("matplotlib", "mpl-data/fonts/ttf/cmb10.ttf"),
    "ComputerModern-Sans": ("matplotlib", "mpl-data/fonts/ttf/cmss10.ttf"),
    "ComputerModern-Typewriter": ("matplotlib", "mpl-data/fonts/ttf/cmtt10.ttf"),
}


def _faces(package: str, folder: str, family: str, styles: str, ext: str = "ttf") -> dict:
    return {
        f"{family}-{style}": (package, f"{folder}/{family}-{style}.{ext}")
        for style in styles.split()
    }


# Families chosen for breadth of shape: humanist and geometric sans, serifs, condensed, rounded,
# hand-drawn, light to black weights, italics. Each package is a small OFL/Apache font package.
_WIDE_POOL: dict[str, tuple[str, str]] = {
    **_faces("font_lato", "files", "Lato", "Regular Bold Black Light Italic"),
    **_faces("ttf_opensans", "ttf", "OpenSans", "Regular Bold ExtraBold Light Italic"),
    **_faces("font_source_sans_pro", "files", "SourceSansPro", "Regular Bold Black Light It"),
    **_faces("font_source_serif_pro", "files", "SourceSerifPro", "Regular Bold Black Light"),
    **_faces("font_rhd", "files", "RedHatDisplay", "Regular Bold Black Italic"),
    **_faces("font_manrope", "files", "Manrope", "Regular ExtraBold ExtraLight"),
    **_faces("font_hanken_grotesk", "files", "HankenGrotesk", "Regular Bold Light", "otf"),
    **_faces("font_caladea", "files", "Caladea", "Regular Bold Italic"),
    **_faces("font_amatic_sc", "files", "AmaticSC", "Regular Bold"),
    **_faces("font_fjallaone", "files", "FjallaOne", "Regular"),
    **_faces("font_fredoka_one", "files", "FredokaOne", "Regular"),
    "Intuitive": ("font_intuitive", "files/Intuitive.ttf"),
    "DejaVuSerif-Bold": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSerif-Bold.ttf"),
    "DejaVuSansMono-Oblique": ("matplotlib", "mpl-data/fonts/ttf/DejaVuSansMono-Oblique.ttf"),
    "STIXGeneral-Italic": ("matplotlib", "mpl-data/fonts/ttf/STIXGeneralItalic.ttf"),
}

GROUPS = ("@default", "@wide", "@system")


@functools.cache
def _package_dir(package: str) -> Path | None:
    import importlib.util

    found = importlib.util.find_spec(package)
    if found is None or found.origin is None:
        return None
    return Path(found.origin).parent


def _located(package: str, rel: str) -> Path | None:
    """The file ``rel`` inside installed ``package``, or None when either is absent."""
    base = _package_dir(package)
    return base / rel if base is not None and (base / rel).is_file() else None


def _present(table: dict[str, tuple[str, str]]) -> dict[str, Path]:
    located = {name: _located(package, rel) for name, (package, rel) in table.items()}
    return {name: path for name, path in located.items() if path is not None}


def default_pool() -> dict[str, Path]:
    """Face name -> file of every default-pool font present on this machine."""
    return _present(_DEFAULT_POOL)


def wide_pool() -> dict[str, Path]:
    """The default pool plus the font packages' faces: every named face."""
    return {**default_pool(), **_present(_WIDE_POOL)}


def named_faces() -> list[tuple[str, str, Path | None]]:
    """(face name, package, file or None when the package is absent) of every named face."""
    return [
        (name, package.replace("_", "-"), _located(package, rel))
        for name, (package, rel) in {**_DEFAULT_POOL, **_WIDE_POOL}.items()
    ]


_SYSTEM_FOLDERS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)


@functools.cache
def system_fonts() -> tuple[Path, ...]:
    """Fonts this machine offers: fontconfig's list if ``fc-list`` exists, else the standard
    font folders. Opt-in only (``@system``): the result differs between machines."""
    import shutil
    import subprocess

    found: list[Path] = []
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(
                ["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, timeout=30
            ).stdout
            found = [Path(line) for line in listing.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            found = []
    if not found:
        for folder in _SYSTEM_FOLDERS:
            root = Path(folder).expanduser()
            if root.is_dir():
                found += [p for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES]
    return tuple(sorted({p for p in found if p.suffix.lower() in FONT_SUFFIXES and p.is_file()}))


@functools.cache
def covered_codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap() or {}
    except (TTLibError, OSError, AssertionError) as err:
        raise FontError(f"cannot read font {path}: {err}") from None
    return frozenset(cmap)


def missing_glyphs(path: str | Path, chars: str) -> str:
    """Characters of ``chars`` the font has no glyph for."""
    cmap = covered_codepoints(str(path))
    return "".join(c for c in chars if ord(c) not in cmap)


@dataclass(frozen=True)
class FontChoice:
    """Fonts that cover the charset, and what was dropped on the way (for a notice)."""

    paths: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]  # (font, missing characters)


def _expand(entry: str, pool: dict[str, Path]) -> list[Path]:
    if entry == "@default":
        return list(default_pool().values())
    if entry == "@wide":
        return list(pool.values())
    if entry == "@system":
        fonts = list(system_fonts())
        if not fonts:
            raise FontError("@system: no fonts found (no fc-list, no standard font folders)")
        return fonts
    if entry in pool:
        return [pool[entry]]
    if entry.lower().endswith(".json"):
        from .fontlist import resolve_font_list

        return list(resolve_font_list(entry))
    path = Path(entry).expanduser()
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
        if not found:
            raise FontError(f"font folder {entry} holds no .ttf/.otf/.ttc file")
        return found
    if path.is_file():
        return [path]
    raise FontError(
        f"font {entry!r} is neither a file, a folder, a font list (.json), a group "
        f"({', '.join(GROUPS)}) nor a face name (`captchagen fonts` lists them)"
    )


@functools.cache
def resolve_fonts(entries: tuple[str, ...], chars: str) -> FontChoice:
    """Expand names/files/folders (empty = default pool) and keep fonts covering ``chars``."""
    pool = wide_pool()
    candidates = (
        list(default_pool().values())
        if not entries
        else [p for e in entries for p in _expand(e, pool)]
    )
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for path in dict.fromkeys(candidates):
        missing = missing_glyphs(path, chars)
        if missing:
            dropped.append((str(path), missing))
        else:
            kept.append(str(path))
    if not kept:
        detail = "; ".join(f"{Path(p).name} lacks {m!r}" for p, m in dropped[:3])
        raise FontError(f"no font covers every character of the charset ({detail})")
    return FontChoice(tuple(kept), tuple(dropped))


def warn_dropped(choice: FontChoice) -> None:
    for path, missing in choice.dropped:
        print(f"notice: font {Path(path).name} dropped, it lacks {missing!r}", file=sys.stderr)
