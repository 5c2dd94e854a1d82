import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.charset import PRESETS, Charset, CharsetError


def test_presets_are_valid_and_safe_sets_drop_confusables():
    for name, chars in PRESETS.items():
        assert Charset.resolve(name).chars == chars
    safe = Charset.resolve("safe_upper_digits").chars
    assert not set("0O1I") & set(safe)
    assert len(safe) == 32
    assert not set("0Oo1Il") & set(Charset.resolve("safe_alnum").chars)


def test_blank_is_zero_and_tokens_are_one_based():
    cs = Charset("ABC")
    assert cs.num_classes == 4
    assert cs.encode("CAB") == [3, 1, 2]
    assert cs.decode([0, 3, 0, 1, 2]) == "CAB"


@pytest.mark.parametrize("chars", ["", "AAB", "A B", "AB\n"])
def test_bad_charsets_are_refused(chars):
    with pytest.raises(CharsetError):
        Charset(chars)


def test_unknown_character_is_a_clear_error():
    with pytest.raises(CharsetError, match="'z'"):
        Charset("ABC").encode("AzB")


@given(st.text(alphabet="0123456789ABCDEF", max_size=20))
def test_encode_decode_round_trip(text):
    cs = Charset.resolve("0123456789ABCDEF")
    assert cs.decode(cs.encode(text)) == text
    assert all(1 <= t < cs.num_classes for t in cs.encode(text))
