"""What a captcha says: random characters, dictionary words, or pronounceable pseudo-words.

The label is always the first thing a sample draws from its generator, so labels can be listed
without rendering (``sample.labels``) and are paired across styles that share a text source.

- ``random``: each character uniform over the charset, length uniform over ``text.length``;
- ``words``: a word uniform over a word list, keeping words whose length is in range and whose
  letters the charset has (case-folded to the charset's case). ``@bip39`` is the 2,048-word
  BIP-39 English list shipped by the ``mnemonic`` package (3-8 letters); a path reads a user's
  file, one word per line;
- ``pseudowords``: consonant-vowel syllables (CV, CVC, V) until the drawn length, from the
  charset's consonants and vowels: pronounceable strings that no dictionary holds.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .errors import UserError

SOURCES = ("random", "words", "pseudowords")
VOWELS = "AEIOUaeiou"


class TextSourceError(UserError):
    pass


@functools.cache
def _bip39() -> tuple[str, ...]:
    import importlib.util

    found = importlib.util.find_spec("mnemonic")
    if found is None or found.origin is None:
        raise TextSourceError("word list @bip39 needs the mnemonic package (pip install mnemonic)")
    path = Path(found.origin).parent / "wordlist" / "english.txt"
    return tuple(path.read_text(encoding="utf-8").split())


@functools.cache
def read_word_list(name: str) -> tuple[str, ...]:
    if name == "@bip39":
        return _bip39()
    path = Path(name).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TextSourceError(f"word list not found: {name} (a file, or @bip39)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise TextSourceError(f"cannot read word list {name}: {err}") from None
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def fold_case(word: str, chars: str) -> str:
    """The word in the charset's case (uppercase charsets get uppercase words)."""
    has_lower = any(c.islower() for c in chars)
    has_upper = any(c.isupper() for c in chars)
    if has_upper and not has_lower:
        return word.upper()
    if has_lower and not has_upper:
        return word.lower()
    return word


@functools.cache
def word_list(name: str, chars: str, length: tuple[int, int]) -> tuple[str, ...]:
    """The usable words, in list order, without duplicates."""
    allowed = set(chars)
    words = []
    for raw in read_word_list(name):
        word = fold_case(raw, chars)
        if length[0] <= len(word) <= length[1] and set(word) <= allowed:
            words.append(word)
    words = tuple(dict.fromkeys(words))
    if not words:
        raise TextSourceError(
            f"word list {name} has no word of {length[0]}-{length[1]} letters drawn only from "
            f"the charset {chars!r}"
        )
    return words


def _letters(chars: str) -> tuple[str, str]:
    vowels = "".join(c for c in chars if c in VOWELS)
    consonants = "".join(c for c in chars if c.isalpha() and c not in VOWELS)
    if not vowels or not consonants:
        raise TextSourceError("pseudowords need a charset with both vowels and consonants")
    return consonants, vowels


def pseudoword(length: int, chars: str, rng: np.random.Generator) -> str:
    consonants, vowels = _letters(chars)
    out: list[str] = []
    draws = rng.random(2 * length + 2).tolist()
    k = 0
    while len(out) < length:
        pattern = "CV" if draws[k] < 0.6 else ("CVC" if draws[k] < 0.85 else "V")
        k += 1
        for slot in pattern:
            if len(out) == length:
                break
            pool = consonants if slot == "C" else vowels
            out.append(pool[int(rng.integers(len(pool)))])
    return "".join(out)


def draw_label(source: str, words: str, chars: str, length: tuple[int, int], rng) -> str:
    if source == "words":
        pool = word_list(words, chars, length)
        return pool[int(rng.integers(len(pool)))]
    n = int(rng.integers(length[0], length[1] + 1))
    if source == "pseudowords":
        return pseudoword(n, chars, rng)
    return "".join(chars[i] for i in rng.integers(0, len(chars), size=n))


def validate_source(source: str, words: str, chars: str, length: tuple[int, int]) -> None:
    if source not in SOURCES:
        raise TextSourceError(f"text.source = {source!r} is not one of {', '.join(SOURCES)}")
    if source == "words":
        word_list(words, chars, length)
    elif source == "pseudowords":
        _letters(chars)
