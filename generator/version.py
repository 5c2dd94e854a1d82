"""Versions recorded in every dataset manifest, model config and report."""

__version__ = "0.1.0"
# Bump whenever rendering changes the bytes of any sample: caches key on it, manifests record it.
RENDER_VERSION = 5
