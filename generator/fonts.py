"""Font discovery and glyph-coverage checks.

The default pool uses only fonts that ship inside installed dependencies (the ``captcha`` package
and matplotlib), so no font binary lives in this repository. Math and symbol faces that claim
ASCII code points but draw other shapes (cmex10, cmsy10, STIXSize*…) are left out on purpose.
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


@functools.cache
def _package_dir(package: str) -> Path | None:
    import importlib.util

    found = importlib.util.find_spec(package)
    if found is None or found.origin is None:
        return None
    return Path(found.origin).parent


def default_pool() -> dict[str, Path]:
    """Face name -> file of every default-pool font present on this machine."""
    pool = {}
    for name, (package, rel) in _DEFAULT_POOL.items():
        base = _package_dir(package)
        if base is not None and (base / rel).is_file():
            pool[name] = base / rel
    return pool


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
    if entry in pool:
        return [pool[entry]]
    path = Path(entry).expanduser()
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
        if not found:
            raise FontError(f"font folder {entry} holds no .ttf/.otf/.ttc file")
        return found
    if path.is_file():
        return [path]
    known = ", ".join(pool)
    raise FontError(f"font {entry!r} is neither a file, a folder nor a default face ({known})")


@functools.cache
def resolve_fonts(entries: tuple[str, ...], chars: str) -> FontChoice:
    """Expand names/files/folders (empty = default pool) and keep fonts covering ``chars``."""
    pool = default_pool()
    candidates = (
        list(pool.values()) if not entries else [p for e in entries for p in _expand(e, pool)]
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
