"""Text sources: random characters (unchanged), dictionary words, pseudo-words."""

from __future__ import annotations

import numpy as np
import pytest

from generator.sample import labels, render_sample
from generator.spec import SpecError, preset, spec_from_dict
from generator.text import VOWELS, pseudoword, word_list


def test_word_styles_draw_dictionary_words_in_the_charsets_case(tmp_path):
    spec = preset("words-hard")
    pool = set(word_list("@bip39", spec.charset.chars, spec.text.length))
    assert len(pool) == 2048  # every BIP-39 word is 3-8 lowercase letters
    texts = labels(spec, 3, range(200))
    assert set(texts) <= pool and len(set(texts)) > 150
    assert texts == [render_sample(spec, 3, i).text for i in range(5)] + texts[5:]
    words = tmp_path / "w.txt"
    words.write_text("cat\nDog\n\nbird\nelephant\ncat\n")
    text = {"charset": "upper", "source": "words", "words": str(words), "length": [3, 4]}
    mine = spec_from_dict({"preset": "easy", "text": text})
    assert set(labels(mine, 0, range(50))) == {"CAT", "DOG", "BIRD"}


def test_pseudowords_alternate_consonants_and_vowels():
    rng = np.random.default_rng(0)
    for length in (1, 4, 7, 12):
        word = pseudoword(length, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", rng)
        assert len(word) == length
        # never three consonants in a row: CV, CVC and V syllables only
        runs = "".join("v" if c in VOWELS else "c" for c in word)
        assert "ccc" not in runs


def test_bad_text_sources_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match=r"text\.source = 'poems'"):
        spec_from_dict({"text": {"source": "poems"}})
    with pytest.raises(SpecError, match="word list not found"):
        spec_from_dict({"text": {"source": "words", "words": str(tmp_path / "none.txt")}})
    with pytest.raises(SpecError, match="no word of"):
        spec_from_dict({"text": {"source": "words", "charset": "digits"}})
    with pytest.raises(SpecError, match="vowels and consonants"):
        spec_from_dict({"text": {"source": "pseudowords", "charset": "digits"}})
