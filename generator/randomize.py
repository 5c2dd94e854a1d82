"""Domain randomisation: one concrete captcha style per sample, every dial drawn independently.

``mixed`` interpolates along one line between the presets, so every sample fills a 160x60 canvas
with large, centred, mid-weight text. Real captchas differ along axes that line never moves:
canvas size and aspect, text size and placement, stroke weight, outlines, case, background kind,
noise family. ``randomize`` draws each of those on its own, within legible bounds, so a model
trained on the ``universal`` stream has seen every combination rather than one path through them.

The base spec decides what is written (charset, length, fonts); this module decides how it looks.
All draws come from the sample's generator, so a style is a pure function of (spec, seed, index).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .spec import CaptchaSpec, ColorStyle, NoiseStyle, TextStyle, WarpStyle

CAPTCHA_SHARE = 0.12  # samples drawn by the captcha package itself
INVERTED_SHARE = 0.15  # light text on a dark background
# Smallest font sizes that survive a stroke change: thinning by a pixel (and the blur after it)
# erases strokes of smaller text; outlines of smaller glyphs close up.
THIN_MIN_SIZE = 28
OUTLINE_MIN_SIZE = 20


class _Draw:
    """Scalars from one block of uniforms (one numpy call, not ~60)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._values = rng.random(96).tolist()
        self._next = 0

    def __call__(self, lo: float = 0.0, hi: float = 1.0) -> float:
        value = self._values[self._next]
        self._next += 1
        return lo + value * (hi - lo)

    def chance(self, p: float) -> bool:
        return self() < p

    def integer(self, lo: int, hi: int) -> int:
        return min(hi, lo + int(self() * (hi - lo + 1)))

    def range(self, lo: float, hi: float, width: float) -> tuple[float, float]:
        """A sub-range [a, a + width'] of [lo, hi]: per-sample variation around a drawn centre."""
        a = self(lo, hi)
        return a, min(hi, a + self(0, width))


def randomize(base: CaptchaSpec, rng: np.random.Generator) -> CaptchaSpec:
    d = _Draw(rng)
    hold_out, only = set(base.universal.hold_out), base.universal.only

    def family(name: str, p: float) -> bool:
        """Draw whether this sample shows a family; a held-out family never shows and the `only`
        family always does. One uniform either way, so the other dials stay where they were."""
        drawn = d.chance(p)
        if name == "captcha" and only and only != "captcha":  # a native look must show it
            return False
        return name == only or (drawn and name not in hold_out)

    def opted_in(name: str) -> bool:
        """Whether this sample shows an opt-in family (OPT_IN_FAMILIES: its share is the
        UniversalStyle field of the same name). A spec that neither sets the share nor forces
        the family draws nothing for it, so it renders exactly as before the family existed."""
        share = getattr(base.universal, name)
        return bool(share or only == name) and family(name, share)

    def show(name: str, p: float, value, off):
        """``value`` (drawn whether shown or not, so holding a family out moves no other dial)
        if the sample shows the family, else ``off``."""
        return value if family(name, p) else off

    # Canvas: 80x30 ... 320x100, aspect 1.6 ... 5.
    height = d.integer(30, 100)
    width = int(min(320, max(80, height * d(1.6, 5.0))))
    longest = base.text.length[1]
    # Text height as a share of the canvas: small text in a big canvas too. Capped so the longest
    # label still fits the width (the renderer shrinks what does not fit, never crops).
    size_hi = max(12, min(height - 4, round(height * d(0.4, 0.95)), round(2.2 * width / longest)))
    size_lo = max(10, round(size_hi * d(0.75, 1.0)))
    if family("captcha", CAPTCHA_SHARE):
        return replace(
            base,
            name="captcha",
            backend="captcha",
            width=width,
            height=height,
            text=replace(base.text, font_size=(min(size_lo, height - 6), min(size_hi, height - 6))),
        )
    spacing_lo = d(-0.3, 0.6)
    text = TextStyle(
        charset=base.text.charset,
        length=base.text.length,
        fonts=base.text.fonts,
        font_size=(size_lo, size_hi),
        spacing=(spacing_lo, spacing_lo + d(0.0, 0.3)),
        rotation=d(0, 35) if d.chance(0.8) else 0.0,
        shear=d(0, 0.4) if d.chance(0.5) else 0.0,
        perspective=d(0, 0.15) if d.chance(0.4) else 0.0,
        scale_jitter=d(0, 0.2),
        baseline_jitter=d(0, 1),
        v_offset=d(0, 0.9),
        weight=(w := d.integer(-1 if size_lo >= THIN_MIN_SIZE else 0, 2), w)
        if d.chance(0.45)
        else (0, 0),
        hollow=0.0,
        lowercase=d(0.3, 1.0) if d.chance(0.3) and not _has_lowercase(base) else 0.0,
    )
    # Outlined glyphs, emboldened first so they stay legible.
    if d.chance(0.07) and size_lo >= OUTLINE_MIN_SIZE:
        text = replace(text, hollow=1.0, weight=(1, 2))
    # Glyphs turned far (opt-in, universal.tumble; generators that rotate each character's
    # tile turn glyphs 55 degrees and more). Kept at 60: beyond it N reads as Z, 6 as 9.
    if opted_in("tumble"):
        text = replace(text, rotation=d(45, 60))
    # Glyphs pulled onto a quadrilateral each (opt-in, universal.quad_warp): the captcha
    # package and wheezy.captcha move each glyph's corners by up to 30-40 % of its width and
    # height, where universal's perspective stops at 15 %. Kept at 35 %: beyond it thin
    # glyphs fold onto themselves.
    if opted_in("quad_warp"):
        text = replace(text, perspective=d(0.2, 0.35))
    # Every glyph in a face, weight and outline of its own (opt-in, universal.mixed_faces):
    # generators that pick a font per character (kaptcha, multicolorcaptcha) mix serif, script
    # and outline faces in one captcha, where universal draws one face per sample.
    if opted_in("mixed_faces"):
        text = replace(
            text,
            face_per_glyph=1.0,
            weight=(-1 if size_lo >= THIN_MIN_SIZE else 0, 2),
            hollow=0.25 if size_lo >= OUTLINE_MIN_SIZE else 0.0,
        )
    # Glyphs narrower or wider than any face in the pool draws them (opt-in,
    # universal.glyph_width): condensed and extended cuts are common in captchas
    # (DejaVu Sans Condensed in wheezy.captcha's and claptcha's examples), and the pool's faces
    # span a narrow band of widths.
    if opted_in("glyph_width"):
        narrow, wide = d(0.55, 0.8), d(1.25, 1.6)
        a = narrow if d.chance(0.5) else wide
        text = replace(text, glyph_width=(a, a))
    # Glyphs in relief (opt-in, universal.relief): only a shaded edge or a 3D extrusion in
    # the text's colour, the body left as ground and a faint outline around it, as embossed and
    # shadowed display faces draw them. A reader trained on filled glyphs sees half a stroke.
    # Deeper than 1 px only where the glyphs are big enough to keep their counters open.
    if opted_in("relief"):
        depth = d.integer(1, 3) if size_lo >= OUTLINE_MIN_SIZE else 1
        text = replace(text, relief=1.0, relief_depth=(1, depth), hollow=0.0)
    inverted = family("inverted", INVERTED_SHARE)
    contrast = d(90, 150)
    bg_lo = d(150, 250)
    background = (int(bg_lo), int(min(255, bg_lo + d(0, 60))))
    ink = (0, int(max(0, min(background[0] - contrast, d(20, 160)))))
    if inverted:  # mirror the luminances: light text on a dark ground
        background, ink = (255 - background[1], 255 - background[0]), (255 - ink[1], 255 - ink[0])
    color = ColorStyle(
        background=background,
        text=ink,
        min_contrast=int(min(contrast, abs(background[0] - ink[1]), abs(background[1] - ink[0]))),
        saturation=d.integer(0, 60),
        per_char=d.chance(0.4),
        gradient=show("gradient", 0.3, d.integer(20, 120), 0),
        grain=show("grain", 0.2, d.integer(4, 30), 0),
        texture=show("texture", 0.2, d.integer(10, 50), 0),
    )
    # One background cell per glyph, drawn only where the base spec opts in (universal.cells),
    # so the `universal` preset's samples stay byte for byte what they were. Cells put glyphs
    # of either polarity side by side; they get room of their own (spacing >= 0.1).
    if opted_in("cells"):
        color = replace(color, cells=1.0)
        lo, hi = text.spacing
        text = replace(text, spacing=(max(lo, 0.1), max(hi, 0.1)))
    thick = d.integer(1, 3)
    noise = NoiseStyle(
        dots=show("dots", 0.45, (n := d.integer(5, 80), n + d.integer(0, 20)), (0, 0)),
        dot_size=(1, d.integer(1, 4)),
        lines=show("lines", 0.3, (1, d.integer(1, 3)), (0, 0)),
        curves=show("curves", 0.35, (1, d.integer(1, 3)), (0, 0)),
        line_width=(1, thick),
        grid=show("grid", 0.12, 1.0, 0.0),
        speckle=show("speckle", 0.12, d(0.005, 0.04), 0.0),
        cuts=show("cuts", 0.2, (1, d.integer(1, 3)), (0, 0)),
        salt_pepper=show("salt_pepper", 0.1, d(0.003, 0.03), 0.0),
        # Lines and curves that stand out more than the text (wheezy-like generators draw a
        # dark curve through light grey text): without it, "the darkest strokes are the text"
        # would hold on every training sample.
        clutter_contrast=show("dark_clutter", 0.2, d.integer(30, 120), 0),
    )

    def heavy(noise: NoiseStyle) -> NoiseStyle:
        """At least one curve through the text, up to as heavy as the text's strokes (the
        renderer caps clutter at the stroke width): universal's clutter is otherwise 1-3 px,
        while the captcha package's arc and wheezy-like generators' curves are as heavy as the
        glyphs' strokes: without them, "the heavy strokes are the text" would hold on every
        training sample."""
        lo, hi = noise.curves
        return replace(noise, curves=(max(lo, 1), max(hi, 1)), line_width=(8, 8))

    # Clutter in a hue of its own at the text's luminance, drawn only where the base spec opts
    # in (universal.clutter_hue), for the same reason as cells: other specs keep their bytes.
    if opted_in("clutter_hue"):
        # Heavy curves, told apart from the text by hue alone, as wheezy-like generators'
        # curves are. Thin clutter in the text's grey is every universal sample's lot already
        # and costs a grey reader nothing (measured: results/universal-hue).
        noise = replace(heavy(noise), clutter_hue=1.0)
    # Heavy curves in the text's own colours (or darker, with dark_clutter), for grey readers
    # too; opt-in (universal.heavy_clutter) like cells.
    if opted_in("heavy_clutter"):
        noise = heavy(noise)
    # Heavy curves that sweep the canvas's whole height, crossing the text two or three times and
    # running along its strokes where they turn steep (opt-in, universal.sweep_curve): left out
    # one ingredient at a time, wheezy.captcha's 4 px curve costs the shipped reader 33 points,
    # a 2 px one 6, a straight one 19 (results/foreign/wheezy_ablation.txt); universal's own
    # curves stay near the text's band. Half of them stand out more than the text, as that
    # curve does (a curve in the text's own colour costs 23 points, a darker one 33).
    if opted_in("sweep_curve"):
        noise = heavy(noise)
        noise = replace(noise, curves=(1, min(noise.curves[1], 2)), curve_sweep=1.0)
        if not noise.clutter_contrast and d.chance(0.5):
            noise = replace(noise, clutter_contrast=d.integer(20, 80))
    amplitude = show("wave", 0.35, d(1, 4), 0.0)
    warp = WarpStyle(
        wave_amplitude=(0.0, amplitude),
        wave_period=d.range(30, 120, 40),
        elastic=show("elastic", 0.25, d(0.5, 2.0), 0.0),
        blur=(0.0, d(0, 1.0)),
        jpeg=show("jpeg", 0.25, (q := d.integer(15, 70), q + 20), (0, 0)),
    )
    return replace(
        base,
        name="universal",
        backend="native",
        width=width,
        height=height,
        # Hue-only clutter needs colour to exist at all.
        grayscale=d.chance(0.1) and not noise.clutter_hue,
        text=text,
        color=color,
        noise=noise,
        warp=warp,
    )


def _has_lowercase(spec: CaptchaSpec) -> bool:
    return any(ch.islower() for ch in spec.charset.chars)


def draw_case(text: str, share: float, rng: np.random.Generator) -> str:
    """``text`` with each letter lowercased with probability ``share`` (what is drawn; the label
    stays ``text``: a case-insensitive reader must read both)."""
    if not share:
        return text
    flips = rng.random(len(text)) < share
    return "".join(ch.lower() if flip else ch for ch, flip in zip(text, flips, strict=True))
