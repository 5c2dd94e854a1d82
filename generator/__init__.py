"""captchagen: seeded, reproducible synthetic captchas.

>>> from generator import preset, render_sample
>>> sample = render_sample(preset("medium"), seed=0, index=42)
>>> sample.text, sample.image.size
"""

__version__ = "0.1.0"

from .charset import Charset, CharsetError
from .sample import Sample, render_sample
from .spec import CaptchaSpec, SpecError, load_spec, preset, preset_names, save_spec

__all__ = [
    "CaptchaSpec",
    "Charset",
    "CharsetError",
    "Sample",
    "SpecError",
    "__version__",
    "load_spec",
    "preset",
    "preset_names",
    "render_sample",
    "save_spec",
]
