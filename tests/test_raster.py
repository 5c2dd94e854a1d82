"""The renderer's numeric building blocks, each checked against an independent oracle."""

import io
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from generator.png import encode_png
from generator.render import (
    _blur,
    _blur_taps,
    _cached_size,
    _cubic_upsampler,
    _overshoot,
    _Uniforms,
    perspective_coeffs,
)

# --- projective maps -----------------------------------------------------------------------------


def _apply(coeffs, x, y):
    a, b, c, d, e, f, g, h = coeffs
    den = g * x + h * y + 1
    return (a * x + b * y + c) / den, (d * x + e * y + f) / den


def _solve_oracle(quad, w, h):
    """The same map from the textbook 8x8 linear system (quad corner -> source corner)."""
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    rows, rhs = [], []
    for (x, y), (u, v) in zip(quad, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float))


corner_offsets = st.lists(st.floats(-0.3, 0.3), min_size=8, max_size=8)


@given(
    w=st.integers(4, 80),
    h=st.integers(4, 80),
    angle=st.floats(-60, 60),
    jitter=corner_offsets,
)
def test_perspective_coeffs_map_quad_corners_onto_the_source_rectangle(w, h, angle, jitter):
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    base = [(0, 0), (w, 0), (w, h), (0, h)]
    quad = []
    for k, (x, y) in enumerate(base):
        quad.append(
            (
                50 + cos * x - sin * y + jitter[2 * k] * max(w, h),
                50 + sin * x + cos * y + jitter[2 * k + 1] * max(w, h),
            )
        )
    coeffs = perspective_coeffs(tuple(quad), w, h)
    assert coeffs is not None
    np.testing.assert_allclose(coeffs, _solve_oracle(quad, w, h), rtol=1e-6, atol=1e-6)
    for (x, y), (u, v) in zip(quad, base, strict=True):
        assert _apply(coeffs, x, y) == pytest.approx((u, v), abs=1e-6)


def test_perspective_coeffs_refuse_a_collapsed_quad():
    assert perspective_coeffs(((0, 0), (1, 1), (2, 2), (3, 3)), 10, 10) is None


# --- PNG writer ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    pixels=st.one_of(
        arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40))),
        arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3))),
    )
)
def test_png_writer_round_trips_through_pillow(pixels):
    data = encode_png(pixels)
    with Image.open(io.BytesIO(data)) as im:
        im.verify()  # chunk CRCs and structure
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == ("L" if pixels.ndim == 2 else "RGB")
        np.testing.assert_array_equal(np.asarray(im), pixels)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros((0, 4), np.uint8)],
)
def test_png_writer_rejects_what_it_cannot_write(bad):
    with pytest.raises(ValueError):
        encode_png(bad)


# --- blur ----------------------------------------------------------------------------------------


def _float_blur(arr, sigma_tenths):
    """Reference: normalised float Gaussian, edge-replicated, one axis at a time."""
    taps = _blur_taps(sigma_tenths)
    kernel = np.array([*taps[:0:-1], *taps], float) / 256
    r = len(taps) - 1
    out = arr.astype(float)
    for axis in (1, 0):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="edge")
        n = out.shape[axis]
        out = sum(
            kernel[k] * np.take(padded, np.arange(k, k + n), axis=axis) for k in range(2 * r + 1)
        )
    return out


@pytest.mark.parametrize("sigma_tenths", [3, 5, 7, 9, 10, 14, 25])
def test_fixed_point_blur_matches_a_float_gaussian(sigma_tenths):
    taps = _blur_taps(sigma_tenths)
    assert taps[0] + 2 * sum(taps[1:]) == 256
    sigma = sigma_tenths / 10
    # integer taps follow the Gaussian's shape
    assert all(a > b for a, b in itertools.pairwise(taps))
    assert taps[1] / taps[0] == pytest.approx(math.exp(-1 / (2 * sigma**2)), rel=0.05)
    rng = np.random.default_rng(sigma_tenths)
    arr = rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)
    ours = _blur(arr, taps).astype(float)
    assert np.abs(ours - _float_blur(arr, sigma_tenths)).max() <= 1.0


def test_blur_keeps_flat_images_flat_up_to_the_edges():
    flat = np.full((12, 20, 3), 255, np.uint8)
    np.testing.assert_array_equal(_blur(flat, _blur_taps(9)), flat)


# --- elastic field upsampling --------------------------------------------------------------------


@pytest.mark.parametrize(("n_out", "n_in"), [(60, 4), (160, 8), (64, 4), (33, 5)])
def test_cubic_upsampler_interpolates_and_is_bounded(n_out, n_in):
    m = _cubic_upsampler(n_out, n_in)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)  # constants stay constant
    ramp = np.arange(n_in, dtype=float)
    # a linear ramp is reproduced exactly away from the clamped edges
    x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    inner = (x >= 1) & (x <= n_in - 2)
    np.testing.assert_allclose((m @ ramp)[inner], x[inner], atol=1e-9)
    # the overshoot bound holds for the worst-case field of signs
    worst = np.abs(m @ np.sign(m[np.argmax(np.abs(m).sum(axis=1))])).max()
    assert worst <= _overshoot(m) + 1e-12
    assert 1.0 <= _overshoot(m) <= 1.25 + 1e-9


# --- glyph raster sizes and scalar draws ---------------------------------------------------------


@given(st.floats(6, 4000))
def test_cached_raster_size_is_the_next_pixel_or_within_13_percent_above(size):
    raster = _cached_size(size)
    assert raster >= size - 1e-9
    assert raster == math.ceil(size) or size / raster >= 0.87


def test_uniform_draws_cover_inclusive_integer_ranges_evenly():
    u = _Uniforms(np.random.default_rng(0))
    values = [u.integer(2, 5) for _ in range(8000)]
    counts = np.bincount(values, minlength=6)[2:]
    assert set(values) == {2, 3, 4, 5}
    assert counts.min() > 1800  # 2000 expected each
    floats = [u(-3.0, 1.0) for _ in range(1000)]
    assert min(floats) >= -3.0 and max(floats) < 1.0


def test_uniform_draws_are_the_generators_stream():
    a = _Uniforms(np.random.default_rng(5))
    first = [a() for _ in range(300)]  # crosses two block refills
    assert first == np.random.default_rng(5).random(3 * 128).tolist()[:300]
