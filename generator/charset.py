"""The one alphabet shared by the renderer, the trainer's tokenizer and the CTC decoders.

Token 0 is the CTC blank; character ``chars[i]`` is token ``i + 1``. Saved with every dataset and
model so nobody re-declares the alphabet.
"""

from __future__ import annotations

import functools
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import UserError

_DIGITS, _UPPER, _LOWER = string.digits, string.ascii_uppercase, string.ascii_lowercase


def _without(chars: str, drop: str) -> str:
    return "".join(c for c in chars if c not in drop)


# Glyphs people (and models) confuse at a glance in common fonts: 0/O/o, 1/I/l; plus lowercase
# letters whose uppercase twin differs only in size, which rotation and scale jitter erase.
_AMBIGUOUS = "0Oo1Il"
_SIZE_TWINS = "cksuvwxz"

PRESETS: dict[str, str] = {
    "digits": _DIGITS,
    "upper": _UPPER,
    "lower": _LOWER,
    "alnum": _DIGITS + _UPPER + _LOWER,
    "upper_digits": _DIGITS + _UPPER,
    "lower_digits": _DIGITS + _LOWER,
    "hex": _DIGITS + "abcdef",
    # Confusable-free sets: what real captcha services use so humans can read them.
    "safe_upper": _without(_UPPER, _AMBIGUOUS),
    "safe_upper_digits": _without(_DIGITS + _UPPER, _AMBIGUOUS),
    "safe_alnum": _without(_DIGITS + _UPPER + _LOWER, _AMBIGUOUS + _SIZE_TWINS),
}


class CharsetError(UserError):
    """An alphabet that cannot be used (empty, duplicated, or holding whitespace)."""


@dataclass(frozen=True)
class Charset:
    """An ordered, duplicate-free alphabet with CTC blank at index 0."""

    chars: str

    def __post_init__(self) -> None:
        if not self.chars:
            raise CharsetError("charset is empty")
        seen: set[str] = set()
        dupes = sorted({c for c in self.chars if c in seen or seen.add(c)})
        if dupes:
            raise CharsetError(f"charset has duplicate characters: {''.join(dupes)!r}")
        bad = [c for c in self.chars if c.isspace() or not c.isprintable()]
        if bad:
            raise CharsetError(f"charset has whitespace or unprintable characters: {bad!r}")
        # A combining mark has no glyph of its own: fonts draw it on a dotted circle, and a
        # label holding one is a different string from what a person would type.
        marks = [c for c in self.chars if unicodedata.category(c).startswith("M")]
        if marks:
            names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in marks[:3])
            raise CharsetError(f"charset has combining marks, which draw no glyph alone: {names}")

    @classmethod
    @functools.lru_cache(maxsize=256)
    def resolve(cls, name_or_chars: str) -> Charset:
        """A preset name (``digits``, ``alnum``, ``safe_alnum``…) or the literal characters."""
        return cls(PRESETS.get(name_or_chars, name_or_chars))

    BLANK = 0

    @property
    def num_classes(self) -> int:
        """Output classes of a CTC model: every character plus the blank."""
        return len(self.chars) + 1

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and all(c in self._index for c in text)

    @property
    def _index(self) -> dict[str, int]:
        # Built lazily and cached on the frozen instance.
        cache = self.__dict__.get("_index_cache")
        if cache is None:
            cache = {c: i + 1 for i, c in enumerate(self.chars)}
            object.__setattr__(self, "_index_cache", cache)
        return cache

    def encode(self, text: str) -> list[int]:
        """Token ids (1-based) of ``text``; raises on characters outside the alphabet."""
        index = self._index
        try:
            return [index[c] for c in text]
        except KeyError as err:
            raise CharsetError(
                f"character {err.args[0]!r} of {text!r} is not in the charset"
            ) from None

    def decode(self, tokens: Iterable[int]) -> str:
        """Characters of token ids; blanks are skipped (no CTC collapsing here)."""
        return "".join(self.chars[t - 1] for t in tokens if t != self.BLANK)

    def missing(self, texts: Sequence[str]) -> set[str]:
        """Characters used by ``texts`` that this alphabet lacks."""
        index = self._index
        return {c for t in texts for c in t if c not in index}
