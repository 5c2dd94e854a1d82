"""Spec files may not set dials their backend never reads (generator.spec.unread_dials).

The table of what each backend reads is checked against the renderer itself: every dial the
table calls unread is moved off its default and the samples must come out byte for byte the same
(so refusing it never refuses a dial that does something); a few it calls read must change them.
"""

from __future__ import annotations

import dataclasses

import pytest

from generator.sample import render_sample
from generator.spec import (
    BACKENDS,
    CaptchaSpec,
    SpecError,
    _reads,
    dump_spec,
    load_spec,
    preset,
    preset_names,
)

BASES = {
    "native": CaptchaSpec(),
    "captcha": preset("captcha"),
    "mixed": CaptchaSpec(name="mixed", backend="mixed"),
    "universal": preset("universal"),
}
SECTIONS = ("text", "color", "noise", "warp", "universal")
SHARES = (0.37, 0.11, 0.83)  # along a dial's bounds: off any default here


def _moved(default, bounds, share: float):
    """A value of a dial ``share`` of the way along its bounds (a pair where it takes a range)."""
    lo, hi = bounds
    value = lo + share * (hi - lo)
    value = round(value) if isinstance(lo, int) else value
    return (value, value) if isinstance(default, tuple) else value


def _dials():
    """(key, section or "", name, candidate values off the default) for every dial but the text
    to write (charset, source, words, fonts: every backend reads it)."""
    out = [("width", "", "width", (96, 200)), ("height", "", "height", (40, 96))]
    out.append(("grayscale", "", "grayscale", (True,)))
    for section in SECTIONS:
        cls = type(getattr(CaptchaSpec(), section))
        for f in dataclasses.fields(cls):
            if f.name == "hold_out":
                values = (("dots",),)
            elif f.name == "only":
                values = ("dots",)
            elif "bounds" in f.metadata:
                values = tuple(_moved(f.default, f.metadata["bounds"], s) for s in SHARES)
            else:
                continue
            out.append((f"{section}.{f.name}", section, f.name, values))
    return out


def _moved_spec(base: CaptchaSpec, section: str, name: str, values) -> CaptchaSpec:
    """``base`` with one dial moved to the first candidate the validator accepts and that
    differs from the base's value."""
    for value in values:
        try:
            moved = base.with_overrides(**({section: {name: value}} if section else {name: value}))
        except SpecError:
            continue
        if moved != base:
            return moved
    raise AssertionError(f"no candidate moves {section}.{name} on {base.name}")


def _render(spec: CaptchaSpec) -> list[bytes]:
    return [render_sample(spec, 7, i).image.tobytes() for i in range(3)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_dial_called_unread_changes_no_byte(backend):
    base = BASES[backend]
    expected = _render(base)
    checked = 0
    for key, section, name, values in _dials():
        if _reads(backend, key):
            continue
        moved = _moved_spec(base, section, name, values)
        assert _render(moved) == expected, f"{backend} reads {key}, but the table says it does not"
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("backend", "override"),
    [
        ("native", {"noise": {"dots": (40, 40)}}),
        ("native", {"text": {"rotation": 30.0}}),
        ("captcha", {"width": 200}),
        ("captcha", {"text": {"font_size": (24, 26)}}),
        ("mixed", {"height": 70}),
        ("universal", {"universal": {"cells": 1.0}}),
    ],
)
def test_dials_called_read_are_read(backend, override):
    base = BASES[backend]
    assert _render(base.with_overrides(**override)) != _render(base)


def _spec_file(tmp_path, text: str):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def test_a_file_setting_an_unread_dial_is_refused_in_one_line(tmp_path):
    path = _spec_file(
        tmp_path, 'preset = "captcha"\n[noise]\ndots = [5, 9]\n[color]\ncells = 0.5\n'
    )
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert "\n" not in message
    assert (
        "backend 'captcha' never reads noise.dots, color.cells (backend 'native' does)" in message
    )


def test_unread_keys_at_the_value_they_would_have_anyway_are_accepted(tmp_path):
    # A dumped spec writes every field; the captcha preset's noise is the default noise.
    noise = CaptchaSpec().noise
    path = _spec_file(tmp_path, f'preset = "captcha"\n[noise]\ndots = {list(noise.dots)}\n')
    assert load_spec(path) == preset("captcha")


def test_universal_refuses_a_fixed_canvas_and_native_refuses_universal_shares(tmp_path):
    with pytest.raises(
        SpecError, match=r"never reads width \(backend 'native' or 'captcha' or 'mixed' does\)"
    ):
        load_spec(_spec_file(tmp_path, 'preset = "universal"\nwidth = 200\n'))
    with pytest.raises(
        SpecError, match=r"never reads universal.cells \(backend 'universal' does\)"
    ):
        load_spec(_spec_file(tmp_path, "[universal]\ncells = 0.5\n"))


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_printed_as_a_spec_file_loads_back(tmp_path, name):
    # `captchagen presets NAME` writes every field, read or not, at the values the preset has.
    path = tmp_path / f"{name}.toml"
    path.write_text(dump_spec(preset(name)))
    assert load_spec(path) == preset(name)
