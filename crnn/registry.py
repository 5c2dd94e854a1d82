"""Where a model comes from: one ``resolve_model(name_or_path)`` for every command.

A model is named (a pretrained model shipped inside the package, so an installed wheel can read
captchas with no checkout: ``universal``, ``reference``), or given by path: a run directory, a
``.safetensors`` file beside its ``config.json``, or an exported ``.onnx`` file. A path that
exists wins over a name, so a local folder called ``reference`` is never shadowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import UserError

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
# The reader `crnn predict`, `bench run` and `bench attack` use when no model is named: the
# universal model reads every level at least as well as the reference (README, "The universal
# model") and reads captchas the reference cannot spell (0, 1, I, O).
DEFAULT_MODEL = "universal"


class ModelNotFound(UserError):
    pass


@dataclass(frozen=True)
class ModelRef:
    path: Path
    kind: str  # "run" (directory or .safetensors with config.json) or "onnx"
    name: str  # what the user asked for, for reports

    @property
    def is_onnx(self) -> bool:
        return self.kind == "onnx"


def pretrained_names() -> list[str]:
    if not PRETRAINED_DIR.is_dir():
        return []
    return sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / "model.safetensors").exists())


def resolve_model(name_or_path: str | Path | None = None) -> ModelRef:
    """A pretrained name, a run directory, a .safetensors file or an .onnx file."""
    asked = str(name_or_path) if name_or_path is not None else DEFAULT_MODEL
    path = Path(asked).expanduser()
    if path.exists():
        kind = "onnx" if path.is_file() and path.suffix.lower() == ".onnx" else "run"
        return ModelRef(path, kind, asked)
    if asked in pretrained_names():
        return ModelRef(PRETRAINED_DIR / asked, "run", asked)
    names = ", ".join(pretrained_names()) or "none installed"
    raise ModelNotFound(
        f"model not found: {asked} (neither a path nor a pretrained model; pretrained: {names})"
    )
