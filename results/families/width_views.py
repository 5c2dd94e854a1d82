"""Greedy readings of glyph-width validation samples (3,500-3,799) per canvas-widening view, split
by the drawn glyph width, beside plain universal samples: how much of the glyph_width gap is the
aspect ratio a test-time view can undo. `python results/families/width_views.py`."""

import numpy as np

from crnn.decode import parse_decoder
from crnn.recognizer import Recognizer
from crnn.views import View
from generator.randomize import randomize
from generator.sample import draw_text, render_sample, sample_rng
from generator.seeds import VALIDATION_SEED
from generator.spec import load_style

WIDENINGS = (0.7, 0.9, 1.0, 1.15, 1.3, 1.5, 1.7)
INDICES = range(3500, 3800)


def drawn_width(spec, index: int) -> float:
    """The glyph width the sample drew: the stream's draws in render_sample's order."""
    rng = sample_rng(VALIDATION_SEED, index)
    draw_text(spec, rng)
    return randomize(spec, rng).text.glyph_width[0]


def main() -> None:
    family = load_style("examples/glyph-width.toml")
    reader = Recognizer.load("universal")
    greedy = parse_decoder("greedy")
    widths = np.array([drawn_width(family, i) for i in INDICES])
    for name, spec in (("glyph-width", family), ("universal", load_style("universal"))):
        samples = [render_sample(spec, VALIDATION_SEED, i) for i in INDICES]
        views = [View(hscale=h) for h in WIDENINGS]
        readings = reader.view_log_probs([s.image for s in samples], views=views)
        for h, log_probs in zip(WIDENINGS, readings, strict=True):
            got = greedy.decode(log_probs, reader.chars, None)
            right = np.array([g.text == s.text for g, s in zip(got, samples, strict=True)])
            line = f"{name} x{h}: all {right.mean():.3f}"
            if name == "glyph-width":
                line += f" condensed {right[widths < 1].mean():.3f}"
                line += f" extended {right[widths > 1].mean():.3f}"
            print(line)


if __name__ == "__main__":
    main()
