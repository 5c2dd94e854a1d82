import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.spec import (
    DIFFICULTIES,
    CaptchaSpec,
    SpecError,
    dump_spec,
    load_spec,
    preset,
    preset_names,
    save_spec,
    spec_from_dict,
)


def test_presets_exist_and_are_distinct():
    assert set(DIFFICULTIES) <= set(preset_names())
    assert {"captcha", "mixed"} <= set(preset_names())
    digests = {preset(n).digest() for n in preset_names()}
    assert len(digests) == len(preset_names())


def test_difficulty_grows_monotonically():
    e, m, h, x = (preset(n) for n in DIFFICULTIES)
    for a, b in ((e, m), (m, h), (h, x)):
        assert a.text.rotation < b.text.rotation
        assert a.text.spacing[0] > b.text.spacing[0]  # more overlap
        assert a.noise.dots[1] < b.noise.dots[1]
        assert a.warp.wave_amplitude[1] <= b.warp.wave_amplitude[1]


@pytest.mark.parametrize("name", preset_names())
@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_round_trip_through_files(tmp_path, name, fmt):
    spec = preset(name)
    path = tmp_path / f"spec.{fmt}"
    save_spec(spec, path)
    assert load_spec(path) == spec
    assert load_spec(path).digest() == spec.digest()


@settings(max_examples=40, deadline=None)
@given(
    lo=st.integers(1, 5),
    extra=st.integers(0, 3),
    rotation=st.floats(0, 90, allow_nan=False),
    dots=st.tuples(st.integers(0, 100), st.integers(0, 100)).map(sorted),
    grayscale=st.booleans(),
    fmt=st.sampled_from(["toml", "json"]),
)
def test_round_trip_property(lo, extra, rotation, dots, grayscale, fmt):
    spec = preset("medium").with_overrides(
        grayscale=grayscale,
        text={"length": (lo, lo + extra), "rotation": rotation},
        noise={"dots": tuple(dots)},
    )
    text = dump_spec(spec, fmt)
    data = json.loads(text) if fmt == "json" else __import__("tomllib").loads(text)
    assert spec_from_dict(data) == spec


def test_preset_key_starts_from_a_preset(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('preset = "hard"\nname = "mine"\n[text]\nlength = [5, 5]\n')
    spec = load_spec(path)
    assert spec.name == "mine"
    assert spec.text.length == (5, 5)
    assert spec.noise == preset("hard").noise


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": {"lenght": [4, 5]}}, r"unknown key text\.lenght \(did you mean text\.length\?\)"),
        ({"colour": {}}, r"unknown key colour"),
        ({"text": {"rotation": 120}}, r"text\.rotation = 120.0 is out of range \[0.0, 90.0\]"),
        ({"noise": {"dots": [9, 3]}}, r"noise\.dots = \[9, 3\]: low is greater than high"),
        ({"noise": {"dots": [1, 2, 3]}}, r"noise\.dots must have 2 items"),
        ({"width": "wide"}, r"width must be an integer"),
        ({"grayscale": 1}, r"grayscale must be true or false"),
        ({"backend": "opencv"}, r"backend = 'opencv' is not one of native, captcha, mixed"),
        ({"text": {"charset": ""}}, r"text\.charset: charset is empty"),
        ({"text": {"charset": "ABCA"}}, r"duplicate characters: 'A'"),
        ({"text": {"length": [30, 40]}}, r"cannot hold 40 characters"),
        ({"height": 30, "text": {"font_size": [40, 44]}}, r"canvas is 30 px high"),
        (
            {"color": {"background": [100, 120], "text": [90, 130], "min_contrast": 200}},
            r"min_contrast = 200 cannot be met",
        ),
    ],
)
def test_bad_specs_are_clear_errors(data, message):
    with pytest.raises(SpecError, match=message):
        spec_from_dict(data)


def test_unknown_preset_suggests_a_name():
    with pytest.raises(SpecError, match=r"unknown difficulty 'medum' \(did you mean medium\?\)"):
        preset("medum")


def test_bad_files(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[text\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(broken)


def test_spec_is_immutable_and_hashable():
    spec = CaptchaSpec()
    with pytest.raises(AttributeError):
        spec.width = 10  # type: ignore[misc]
    assert hash(spec) == hash(CaptchaSpec())


def test_example_spec_files_load_and_render():
    """Every spec under examples/ (the README and reports point at them) stays valid."""
    from pathlib import Path

    from generator.sample import render_sample
    from generator.spec import load_style

    files = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.toml"))
    assert files
    for path in files:
        spec = load_style(str(path))
        image = render_sample(spec, 3, 0).image
        if spec.fixed_canvas:  # the universal backend draws a canvas per sample
            assert image.size == (spec.width, spec.height)
        else:
            assert 80 <= image.size[0] <= 320 and 30 <= image.size[1] <= 100
