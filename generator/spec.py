"""A captcha style as typed, validated dataclasses; named presets; TOML/JSON load and save.

Every numeric field declares its allowed bounds in ``field(metadata=...)`` so one validator checks
the whole tree and error messages name the offending key (``noise.dots``). Ranges are ``(lo, hi)``
pairs drawn uniformly per sample (integers inclusive).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
import tomllib
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from .charset import Charset, CharsetError
from .errors import UserError
from .jsonfile import parse_json
from .text import validate_source

IntRange = tuple[int, int]
FloatRange = tuple[float, float]
Backend = Literal["native", "captcha", "mixed", "universal"]
BACKENDS: tuple[str, ...] = typing.get_args(Backend)


class SpecError(UserError):
    """A spec that cannot be rendered; the message names the key and the allowed values."""


def _bounded(default: Any, lo: float, hi: float, doc: str) -> Any:
    return field(default=default, metadata={"bounds": (lo, hi), "doc": doc})


@dataclass(frozen=True)
class TextStyle:
    charset: str = field(
        default="safe_upper_digits",
        metadata={
            "doc": "preset name (see Charset presets) or the literal characters to draw from"
        },
    )
    length: IntRange = _bounded((4, 6), 1, 64, "characters per captcha, drawn uniformly")
    source: str = field(
        default="random",
        metadata={"doc": "random (characters), words (from text.words), or pseudowords"},
    )
    words: str = field(
        default="@bip39",
        metadata={"doc": "word list for source = words: @bip39 (2,048 words) or a file"},
    )
    fonts: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "face names, groups (@default, @wide, @system), .ttf/.otf files, folders or "
            ".json font lists; empty = the default pool"
        },
    )
    font_size: IntRange = _bounded((36, 44), 6, 400, "font em size in pixels before any shrinking")
    spacing: FloatRange = _bounded(
        (0.05, 0.2), -0.6, 2.0, "gap between glyphs as a fraction of glyph width; < 0 overlaps"
    )
    rotation: float = _bounded(8.0, 0.0, 90.0, "max |rotation| of each glyph in degrees")
    shear: float = _bounded(0.1, 0.0, 1.0, "max |horizontal shear| of each glyph")
    perspective: float = _bounded(0.0, 0.0, 0.4, "per-glyph corner jitter (fraction of glyph size)")
    glyph_width: FloatRange = _bounded(
        (1.0, 1.0),
        0.4,
        2.0,
        "horizontal scale of the glyphs, drawn once per sample: < 1 condensed, > 1 extended",
    )
    scale_jitter: float = _bounded(0.05, 0.0, 0.5, "per-glyph size variation (fraction)")
    baseline_jitter: float = _bounded(
        0.3, 0.0, 1.0, "share of the free vertical room a glyph may wander"
    )
    v_offset: float = _bounded(
        0.0, 0.0, 1.0, "max share of the free vertical room the whole text moves off centre"
    )
    weight: IntRange = _bounded(
        (0, 0),
        -1,
        3,
        "stroke thinning (< 0) or emboldening (> 0) in pixels, one per sample (per glyph where"
        " face_per_glyph draws it)",
    )
    hollow: float = _bounded(
        0.0,
        0.0,
        1.0,
        "probability that a sample's glyphs are outlines (each glyph's, where face_per_glyph"
        " draws it)",
    )
    relief: float = _bounded(
        0.0,
        0.0,
        1.0,
        "probability that a sample's glyphs are drawn in relief instead of filled: only the"
        " edge a light from one of eight directions would shade (engraved) or the glyph's"
        " extrusion behind it (3D), in the text's colour, with a faint outline",
    )
    relief_depth: IntRange = _bounded(
        (1, 3), 1, 8, "depth of a relief in pixels: the shaded edge's width, the extrusion's"
    )
    face_per_glyph: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of glyphs that draw a face (from fonts), weight and outline of their own instead"
        " of the sample's; an outlined glyph is emboldened at least 1 px first",
    )
    lowercase: float = _bounded(
        0.0, 0.0, 1.0, "share of letters drawn in lowercase (labels stay as drawn from the charset)"
    )
    max_overlap: float = _bounded(
        1.0,
        0.0,
        1.0,
        "legibility: max share of a glyph's ink its neighbour covers; gaps widen until it holds"
        " (1 = no limit)",
    )


@dataclass(frozen=True)
class ColorStyle:
    background: IntRange = _bounded((215, 255), 0, 255, "background luminance")
    text: IntRange = _bounded((0, 90), 0, 255, "text luminance")
    min_contrast: int = _bounded(
        90,
        0,
        255,
        "minimum |background - text| luminance, against every luminance of the smooth background"
        " (gradient and texture included)",
    )
    saturation: int = _bounded(30, 0, 128, "max per-channel tint added to a luminance (colour)")
    per_char: bool = field(default=False, metadata={"doc": "draw a colour per character"})
    gradient: int = _bounded(0, 0, 255, "max background luminance change across the canvas")
    grain: int = _bounded(0, 0, 128, "per-pixel background noise amplitude (luminance)")
    texture: int = _bounded(0, 0, 128, "smooth random background texture amplitude (luminance)")
    cells: float = _bounded(
        0.0,
        0.0,
        1.0,
        "probability that every glyph sits on its own background cell: a luminance and tint per"
        " cell, the glyph's drawn min_contrast away from its own cell's, darker or lighter",
    )


@dataclass(frozen=True)
class NoiseStyle:
    dots: IntRange = _bounded((0, 10), 0, 2000, "number of dots")
    dot_size: IntRange = _bounded((1, 2), 1, 20, "dot diameter in pixels")
    lines: IntRange = _bounded((0, 0), 0, 50, "straight lines crossing the text")
    curves: IntRange = _bounded((0, 0), 0, 50, "Bezier curves crossing the text")
    line_width: IntRange = _bounded((1, 2), 1, 20, "width of lines and curves in pixels")
    grid: float = _bounded(0.0, 0.0, 1.0, "probability of a background grid")
    speckle: float = _bounded(0.0, 0.0, 0.5, "fraction of pixels replaced by random grey")
    cuts: IntRange = _bounded((0, 0), 0, 20, "strokes in the background colour cutting glyphs")
    salt_pepper: float = _bounded(0.0, 0.0, 0.5, "fraction of pixels set to black or white")
    clutter_contrast: int = _bounded(
        0,
        0,
        255,
        "lines and curves this much farther from the background than the text (darker on a light"
        " ground): clutter that stands out more than the text; 0 = in the text's colours",
    )
    clutter_hue: float = _bounded(
        0.0,
        0.0,
        1.0,
        "probability that a sample's lines, curves and dots take a saturated hue at the"
        " luminance they would otherwise have: clutter a grey reader cannot tell from the text"
        " (wheezy-like generators draw a blue curve as light as their grey text)",
    )
    curve_sweep: float = _bounded(
        0.0,
        0.0,
        1.0,
        "probability that a sample's curves sweep the canvas's full height, through 4-6 control"
        " points spread over most of its width (wheezy.captcha's curve), instead of staying"
        " near the text's band",
    )
    max_weight: float = _bounded(
        1.0,
        0.0,
        4.0,
        "legibility: lines, curves, cuts and dots at most this multiple of the text's stroke"
        " width (0 = no limit)",
    )


@dataclass(frozen=True)
class WarpStyle:
    wave_amplitude: FloatRange = _bounded((0.0, 0.0), 0.0, 30.0, "global sine warp amplitude, px")
    wave_period: FloatRange = _bounded((60.0, 120.0), 4.0, 2000.0, "global sine warp period, px")
    elastic: float = _bounded(0.0, 0.0, 20.0, "max displacement of a smooth random field, px")
    blur: FloatRange = _bounded((0.0, 0.3), 0.0, 10.0, "Gaussian blur radius, px")
    jpeg: IntRange = _bounded((0, 0), 0, 95, "JPEG quality of a final re-encoding; 0 = none")


# Families the universal stream draws only where a spec opts in (a UniversalStyle share of the
# same name), so that specs written before them keep their bytes.
OPT_IN_FAMILIES: tuple[str, ...] = (
    "cells",
    "clutter_hue",
    "heavy_clutter",
    "tumble",
    "quad_warp",
    "mixed_faces",
    "glyph_width",
    "sweep_curve",
    "relief",
)
# What the universal backend can hold out or force, one family at a time (bench transfer):
# the captcha package's look, each noise family, each background kind, each warp, inversion,
# and the opt-in families.
FAMILIES: tuple[str, ...] = (
    "captcha",
    "inverted",
    "gradient",
    "grain",
    "texture",
    "dots",
    "lines",
    "curves",
    "grid",
    "speckle",
    "cuts",
    "salt_pepper",
    "dark_clutter",
    "wave",
    "elastic",
    "jpeg",
    *OPT_IN_FAMILIES,
)


@dataclass(frozen=True)
class UniversalStyle:
    hold_out: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "families the universal backend never draws (leave-one-out training): "
            + ", ".join(FAMILIES)
        },
    )
    only: str = field(
        default="",
        metadata={
            "doc": "one family every universal sample shows (a held-out test set); '' = none"
        },
    )
    cells: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples drawn with one background cell per glyph (color.cells); opt-in, so"
        " a spec without it renders exactly as before the family existed",
    )
    clutter_hue: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose clutter differs from the text in hue only (noise.clutter_hue);"
        " opt-in, for colour readers: in grey such clutter is the text's own colour",
    )
    heavy_clutter: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples with at least one curve through the text as heavy as its strokes, in"
        " the text's colours (the captcha package's arc, wheezy's curve); opt-in",
    )
    tumble: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose glyphs turn up to 45-60 degrees each way (universal's own"
        " rotation stops at 35); opt-in",
    )
    quad_warp: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose glyphs each map onto a random quadrilateral, corners pulled"
        " 20-35 % of the glyph's size (text.perspective; universal's own stops at 15 %); opt-in",
    )
    mixed_faces: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose every glyph draws its own face, weight and outline"
        " (text.face_per_glyph); opt-in",
    )
    glyph_width: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose glyphs are condensed to 0.55-0.8 or extended to 1.25-1.6 of"
        " their face's width (text.glyph_width); opt-in",
    )
    sweep_curve: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples with one or two curves as heavy as the text's strokes sweeping the"
        " canvas's full height (noise.curve_sweep), half of them darker than the text; opt-in",
    )
    relief: float = _bounded(
        0.0,
        0.0,
        1.0,
        "share of samples whose glyphs are drawn in relief, a shaded edge or an extrusion with a"
        " faint outline instead of a filled body (text.relief); opt-in",
    )


@dataclass(frozen=True)
class CaptchaSpec:
    """One captcha style. ``backend='mixed'`` keeps text/size/colour-mode fields and draws every
    other style parameter per sample across the presets and both renderers."""

    name: str = field(default="custom", metadata={"doc": "label shown in reports"})
    backend: Backend = field(
        default="native", metadata={"doc": "native | captcha (seeded captcha package) | mixed"}
    )
    width: int = _bounded(160, 16, 4096, "canvas width in pixels")
    height: int = _bounded(60, 16, 4096, "canvas height in pixels")
    grayscale: bool = field(default=False, metadata={"doc": "render single-channel images"})
    text: TextStyle = field(default_factory=TextStyle)
    color: ColorStyle = field(default_factory=ColorStyle)
    noise: NoiseStyle = field(default_factory=NoiseStyle)
    warp: WarpStyle = field(default_factory=WarpStyle)
    universal: UniversalStyle = field(default_factory=UniversalStyle)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def fixed_canvas(self) -> bool:
        """Every sample is width x height (the universal backend draws a canvas per sample)."""
        return self.backend != "universal"

    @property
    def charset(self) -> Charset:
        return Charset.resolve(self.text.charset)

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    def digest(self) -> str:
        """Short content hash: two specs with equal digests render identical bytes."""
        plain = self.to_dict()
        # Fields added after render version 5 enter the hash only when set: a spec that does
        # not use them renders the same bytes as before they existed, so it keeps its digest
        # (and every cache, manifest and attack-resume key made with it).
        for (section, name), default in _LATER_FIELDS.items():
            if plain[section][name] == default:
                del plain[section][name]
        blob = json.dumps(plain, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_overrides(self, **sections: dict[str, Any]) -> CaptchaSpec:
        """Copy with some fields of some sections replaced, e.g. ``text={'length': (5, 5)}``."""
        top = {k: v for k, v in sections.items() if not isinstance(v, dict)}
        nested = {
            k: replace(getattr(self, k), **v) for k, v in sections.items() if isinstance(v, dict)
        }
        return replace(self, **top, **nested)


# ---------------------------------------------------------------------------------------------
# Validation


def _check_field(section: str, f: dataclasses.Field, value: Any) -> None:
    key = f"{section}{f.name}"
    bounds = f.metadata.get("bounds")
    if bounds is None:
        return
    lo, hi = bounds
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SpecError(f"{key} must be numeric, got {v!r}")
        if not lo <= v <= hi:
            raise SpecError(f"{key} = {_fmt(value)} is out of range [{lo}, {hi}]")
    if isinstance(value, tuple):
        if len(value) != 2:
            raise SpecError(f"{key} must be a [low, high] pair, got {_fmt(value)}")
        if value[0] > value[1]:
            raise SpecError(f"{key} = {_fmt(value)}: low is greater than high")


def _fmt(value: Any) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value)


# A spec's name becomes a folder name (data/NAME, eval-set caches): one path component, no tricks.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~@-]{0,63}")


def validate(spec: CaptchaSpec) -> None:
    if not isinstance(spec.name, str) or not _NAME.fullmatch(spec.name):
        raise SpecError(
            f"name = {spec.name!r} must be 1-64 letters, digits or ._+~@- and start with a letter "
            "or digit (it names output folders)"
        )
    if spec.backend not in BACKENDS:
        raise SpecError(f"backend = {spec.backend!r} is not one of {', '.join(BACKENDS)}")
    for f in fields(spec):
        value = getattr(spec, f.name)
        if dataclasses.is_dataclass(value):
            for sub in fields(value):
                _check_field(f"{f.name}.", sub, getattr(value, sub.name))
        else:
            _check_field("", f, value)
    try:
        charset = spec.charset
    except CharsetError as err:
        raise SpecError(f"text.charset: {err}") from None
    del charset
    t = spec.text
    try:
        validate_source(t.source, t.words, spec.charset.chars, t.length)
    except UserError as err:
        raise SpecError(f"text: {err}") from None
    if t.lowercase and any(ch.islower() for ch in spec.charset.chars):
        raise SpecError(
            "text.lowercase draws letters in lowercase under uppercase labels; it needs a "
            "charset without lowercase letters"
        )
    if t.font_size[0] > spec.height - 4:
        raise SpecError(
            f"text.font_size starts at {t.font_size[0]} px but the canvas is {spec.height} px high"
        )
    # A narrow glyph is about 0.45 em wide; if even the narrowest text at the smallest size and
    # tightest spacing overflows, shrinking would make it unreadable: refuse the spec instead.
    min_width = t.length[1] * 0.45 * t.font_size[0] * (1 + min(t.spacing[0], 0.0)) * 0.6
    if min_width > spec.width - 4:
        raise SpecError(
            f"a {spec.width} px wide canvas cannot hold {t.length[1]} characters "
            f"(text.length) at font size >= {t.font_size[0]} px; widen it or shorten the text"
        )
    u = spec.universal
    for family in (*u.hold_out, *([u.only] if u.only else [])):
        if family not in FAMILIES:
            raise SpecError(f"universal: unknown family {family!r}; known: {', '.join(FAMILIES)}")
    if u.only and u.only in u.hold_out:
        raise SpecError(f"universal: {u.only!r} cannot be both held out and the only family")
    c = spec.color
    if max(abs(c.background[1] - c.text[0]), abs(c.text[1] - c.background[0])) < c.min_contrast:
        raise SpecError(
            f"color.min_contrast = {c.min_contrast} cannot be met by color.background "
            f"{_fmt(c.background)} and color.text {_fmt(c.text)}"
        )


# ---------------------------------------------------------------------------------------------
# Plain-data conversion (dict <-> spec), strict about keys and types


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(v) for v in obj]
    return obj


# Every field added after render version 5, as (section, field).
_LATER_FIELD_NAMES: tuple[tuple[str, str], ...] = (
    ("color", "cells"),
    ("universal", "cells"),
    ("noise", "clutter_hue"),
    ("universal", "clutter_hue"),
    ("universal", "heavy_clutter"),
    ("universal", "tumble"),
    ("universal", "quad_warp"),
    ("text", "face_per_glyph"),
    ("universal", "mixed_faces"),
    ("text", "glyph_width"),
    ("universal", "glyph_width"),
    ("noise", "curve_sweep"),
    ("universal", "sweep_curve"),
    ("text", "relief"),
    ("text", "relief_depth"),
    ("universal", "relief"),
)
# Their defaults in the plain form a spec's dict holds (a range default is a tuple there, a list
# here), read off the sections' own defaults.
_SECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    f.name: _to_plain(f.default_factory())
    for f in fields(CaptchaSpec)
    if f.default_factory is not dataclasses.MISSING
}
_LATER_FIELDS: dict[tuple[str, str], Any] = {
    (section, name): _SECTION_DEFAULTS[section][name] for section, name in _LATER_FIELD_NAMES
}


def _coerce(key: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _from_plain(hint, value, f"{key}.")
    if origin is Literal:
        if value not in typing.get_args(hint):
            allowed = ", ".join(typing.get_args(hint))
            raise SpecError(f"{key} = {value!r} is not one of {allowed}")
        return value
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            raise SpecError(f"{key} must be a list, got {value!r}")
        item_hints = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        if len(item_hints) != len(value):
            raise SpecError(f"{key} must have {len(item_hints)} items, got {len(value)}")
        return tuple(_coerce(key, h, v) for h, v in zip(item_hints, value, strict=True))
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{key} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{key} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(f"{key} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(f"{key} must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported spec type {hint!r} for {key}")


def _from_plain(cls: type, data: Any, prefix: str = "") -> Any:
    if not isinstance(data, dict):
        raise SpecError(f"{prefix.rstrip('.') or 'spec'} must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, names, n=1)
        hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
        raise SpecError(f"unknown key {prefix}{key}{hint}")
    return cls(**{k: _coerce(f"{prefix}{k}", hints[k], v) for k, v in data.items()})


def spec_from_dict(data: dict[str, Any]) -> CaptchaSpec:
    """Build a spec from plain data; a ``preset`` key starts from that preset's values."""
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a table of keys, got {type(data).__name__}")
    data = dict(data)
    base_name = data.pop("preset", None)
    if base_name is not None:
        if not isinstance(base_name, str):
            raise SpecError(f"preset must be a preset name (a string), got {base_name!r}")
        base = preset(base_name).to_dict()
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        data = base
    return _from_plain(CaptchaSpec, data)


# What each backend reads of a spec file, beyond name, backend and preset: a dial a backend never
# reads would change nothing, so load_spec refuses a file that sets one (to anything but the value
# it would have anyway) rather than render without it. The captcha package draws its own colours,
# noise and warp; `mixed` takes its look from the presets and `universal` draws every look dial
# (and the canvas) per sample; only the text to write is the spec's for all four.
_WRITTEN = frozenset({"charset", "length", "source", "words", "fonts"})
_EVERY = None  # every field of the section
_BACKEND_READS: dict[str, dict[str, frozenset[str] | None]] = {
    "native": {"": frozenset({"width", "height", "grayscale"}), "text": _EVERY, "color": _EVERY,
               "noise": _EVERY, "warp": _EVERY},
    "captcha": {"": frozenset({"width", "height", "grayscale"}),
                "text": _WRITTEN | {"font_size", "lowercase"}},
    "mixed": {"": frozenset({"width", "height", "grayscale"}), "text": _WRITTEN | {"font_size"}},
    "universal": {"text": _WRITTEN, "universal": _EVERY},
}  # fmt: skip
_ALWAYS_READ = frozenset({"name", "backend", "preset"})


def _reads(backend: str, key: str) -> bool:
    """Whether ``backend`` reads dial ``key`` ("width", "noise.dots")."""
    section, _, name = key.rpartition(".")
    names = _BACKEND_READS[backend].get(section, frozenset())
    return names is _EVERY or name in names


def unread_dials(data: dict[str, Any], spec: CaptchaSpec) -> list[str]:
    """The keys of spec-file ``data`` (as written, before its preset is merged in) that
    ``spec``'s backend never reads and that move a value off what it would be without them."""
    base_name = data.get("preset")
    before = (preset(base_name) if base_name else CaptchaSpec()).to_dict()
    after = spec.to_dict()
    unread = []
    for key, value in data.items():
        if key in _ALWAYS_READ:
            continue
        if isinstance(value, dict):  # a section: each key written in it is a dial
            dials = [(f"{key}.{name}", before[key][name], after[key][name]) for name in value]
        else:
            dials = [(key, before[key], after[key])]
        unread += [
            dial for dial, was, now in dials if was != now and not _reads(spec.backend, dial)
        ]
    return unread


def load_spec(path: str | Path) -> CaptchaSpec:
    """Read a spec from a ``.toml`` or ``.json`` file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except OSError as err:
        raise SpecError(f"cannot read spec file {path}: {err.strerror}") from None
    if path.suffix.lower() == ".json":
        data = parse_json(raw, str(path))
    else:
        try:
            data = tomllib.loads(raw.decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise SpecError(f"{path} is not valid TOML: {err}") from None
        except RecursionError:
            raise SpecError(f"{path} is nested too deeply to be a spec") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a table of keys, got {type(data).__name__}")
    spec = spec_from_dict(data)
    unread = unread_dials(data, spec)
    if unread:
        readers = [b for b in BACKENDS if all(_reads(b, key) for key in unread)]
        where = f" (backend {' or '.join(map(repr, readers))} does)" if readers else ""
        raise SpecError(
            f"{path}: backend {spec.backend!r} never reads {', '.join(unread)}{where}: "
            f"remove {'them' if len(unread) > 1 else 'it'} or change the backend"
        )
    return spec


def dump_spec(spec: CaptchaSpec, fmt: Literal["toml", "json"] = "toml") -> str:
    if fmt == "json":
        return json.dumps(spec.to_dict(), indent=2) + "\n"
    import tomli_w

    return tomli_w.dumps(spec.to_dict())


def save_spec(spec: CaptchaSpec, path: str | Path) -> None:
    from .io import atomic_write_text

    path = Path(path)
    atomic_write_text(path, dump_spec(spec, "json" if path.suffix.lower() == ".json" else "toml"))


# ---------------------------------------------------------------------------------------------
# Presets

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard", "extreme")

_PRESETS: dict[str, CaptchaSpec] = {
    # Clean text with mild jitter: what an accessible captcha looks like.
    "easy": CaptchaSpec(name="easy"),
    # At least as hard as the captcha package's default look: strong rotation, touching glyphs,
    # per-character colours, dots and a curve through the text, a mild wave and blur.
    "medium": CaptchaSpec(
        name="medium",
        text=TextStyle(
            font_size=(34, 44),
            spacing=(-0.15, 0.05),
            rotation=28.0,
            shear=0.25,
            perspective=0.08,
            scale_jitter=0.1,
            baseline_jitter=0.7,
        ),
        color=ColorStyle(
            background=(190, 255), text=(0, 150), min_contrast=80, per_char=True, gradient=40
        ),
        noise=NoiseStyle(dots=(25, 45), dot_size=(1, 3), lines=(0, 1), curves=(1, 2)),
        warp=WarpStyle(wave_amplitude=(1.0, 3.0), wave_period=(60.0, 120.0), blur=(0.5, 0.9)),
    ),
    # Overlapping glyphs, strong warp, lines through the text and background clutter.
    "hard": CaptchaSpec(
        name="hard",
        text=TextStyle(
            font_size=(32, 44),
            spacing=(-0.28, -0.05),
            rotation=35.0,
            shear=0.35,
            perspective=0.14,
            scale_jitter=0.15,
            baseline_jitter=0.9,
            max_overlap=0.3,
        ),
        color=ColorStyle(
            background=(150, 255), text=(0, 160), min_contrast=70, per_char=True, gradient=80
        ),
        noise=NoiseStyle(
            dots=(30, 60),
            dot_size=(1, 3),
            lines=(1, 2),
            curves=(1, 2),
            line_width=(1, 3),
            grid=0.4,
            speckle=0.02,
            max_weight=0.8,
        ),
        warp=WarpStyle(
            wave_amplitude=(2.0, 4.0), wave_period=(40.0, 90.0), elastic=1.5, blur=(0.5, 0.9)
        ),
    ),
    # At the edge of human legibility.
    "extreme": CaptchaSpec(
        name="extreme",
        text=TextStyle(
            font_size=(32, 44),
            spacing=(-0.33, -0.12),
            rotation=40.0,
            shear=0.4,
            perspective=0.18,
            scale_jitter=0.2,
            baseline_jitter=1.0,
            max_overlap=0.35,
        ),
        color=ColorStyle(
            background=(130, 255), text=(0, 170), min_contrast=60, per_char=True, gradient=90
        ),
        noise=NoiseStyle(
            dots=(60, 110),
            dot_size=(1, 4),
            lines=(1, 2),
            curves=(2, 3),
            line_width=(1, 3),
            grid=0.6,
            speckle=0.05,
            max_weight=0.6,
        ),
        warp=WarpStyle(
            wave_amplitude=(3.0, 4.5), wave_period=(35.0, 80.0), elastic=2.0, blur=(0.5, 0.9)
        ),
    ),
    # The captcha package's own look, seeded, at font sizes that keep glyphs inside the canvas.
    "captcha": CaptchaSpec(
        name="captcha",
        backend="captcha",
        text=TextStyle(font_size=(34, 42), fonts=("DroidSansMono",)),
    ),
    # Domain randomisation across every preset, font and backend.
    "mixed": CaptchaSpec(name="mixed", backend="mixed"),
    # Every dial drawn independently per sample (generator/randomize.py): canvas size and
    # aspect, text size and placement, 54 faces, weight, outlines, case, colours, backgrounds,
    # every noise family, warps, blur, JPEG; the `universal` model trains on it.
    "universal": CaptchaSpec(
        name="universal",
        backend="universal",
        text=TextStyle(charset="upper_digits", length=(3, 8), fonts=("@wide",)),
    ),
}


def _words(level: str) -> CaptchaSpec:
    """A level's look with dictionary words: where a lexicon or a language model has something
    to exploit (BIP-39's 2,048 English words, 3-8 letters, uppercase)."""
    base = _PRESETS[level]
    text = replace(base.text, charset="upper", length=(3, 8), source="words")
    return replace(base, name=f"words-{level}", text=text)


_PRESETS["words-medium"] = _words("medium")
_PRESETS["words-hard"] = _words("hard")


def preset_names() -> list[str]:
    return list(_PRESETS)


def preset(name: str) -> CaptchaSpec:
    try:
        return _PRESETS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_PRESETS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise SpecError(
            f"unknown difficulty {name!r}{hint}; choose one of {', '.join(_PRESETS)}"
        ) from None


def style_refs(text: str) -> list[str]:
    """``-d`` as every CLI reads it: ``all`` (the four difficulty levels), or a comma list of
    preset names and spec files (.toml/.json)."""
    if text.strip() == "all":
        return list(DIFFICULTIES)
    refs = [part.strip() for part in text.split(",") if part.strip()]
    if not refs:
        raise SpecError("--difficulty names no style")
    return refs


def load_style(ref: str) -> CaptchaSpec:
    """A preset name or a spec file."""
    path = Path(ref)
    return load_spec(path) if path.suffix.lower() in (".toml", ".json") else preset(ref)


def resolve_styles(text: str) -> list[CaptchaSpec]:
    return [load_style(ref) for ref in style_refs(text)]
