"""captchagen: seeded, reproducible synthetic captchas.

>>> from generator import preset, render_sample
>>> sample = render_sample(preset("medium"), seed=0, index=42)
>>> sample.text, sample.image.size
"""

from .charset import Charset, CharsetError
from .sample import Sample, render_sample
from .spec import CaptchaSpec, SpecError, load_spec, preset, preset_names, save_spec
from .version import RENDER_VERSION, __version__

__all__ = [
    "RENDER_VERSION",
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
