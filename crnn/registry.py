"""Where a model comes from: one ``resolve_model(name_or_path)`` for every command.

A model is named (a pretrained model inside the package, so an installed wheel can read
captchas with no checkout: ``universal``, ``reference``), or given by path: a run directory, a
``.safetensors`` file beside its ``config.json``, or an exported ``.onnx`` file. A path that
exists wins over a name, so a local folder called ``reference`` is never shadowed.

The wheel carries only WHEEL_MODELS. The readers each new ``universal`` replaced stay in the
source checkout (crnn/pretrained/), found by name there, so every recorded figure can be read
again with the reader that made it; shipping them all would put the wheel past PyPI's 100 MB a
file (95 MB with eight readers, 16 MB more at each new one).
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
# Inside the wheel (pyproject.toml's package-data names exactly these: tests/test_registry.py).
WHEEL_MODELS = ("universal", "reference")
# In the source checkout only: the readers earlier sessions shipped as `universal`, newest first.
CHECKOUT_MODELS = (
    "universal-t8r-half",
    "universal-t5",
    "universal-t4-half",
    "universal-p1-half",
    "universal-d3-half",
    "universal-b1",
    "universal-grey",
    "universal-v5",
)


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
    if asked in CHECKOUT_MODELS:
        raise ModelNotFound(
            f"model {asked} is kept in the source checkout (crnn/pretrained/{asked}), not in "
            "the installed package; run from a checkout, or give its folder's path "
            f"(installed: {names})"
        )
    raise ModelNotFound(
        f"model not found: {asked} (neither a path nor a pretrained model; pretrained: {names})"
    )


@dataclass(frozen=True)
class NamedModel:
    """One name `--model` accepts, as `crnn models` lists it."""

    name: str
    where: str  # "wheel" (installed with the package) or "checkout" (source checkout only)
    installed: bool  # found here; a checkout reader is absent from an installed wheel
    default: bool
    arch: str | None = None
    parameters: int | None = None
    channels: int | None = None
    height: int | None = None
    width: int | None = None
    resize: str | None = None
    charset: str | None = None
    render_version: int | None = None
    size_bytes: int | None = None


def named_models() -> list[NamedModel]:
    """Every name the registry knows, the wheel's first, each described from its (validated)
    config.json without loading its weights."""
    from .checkpoint import read_config

    present = set(pretrained_names())
    listed = []
    for where, names in (("wheel", WHEEL_MODELS), ("checkout", CHECKOUT_MODELS)):
        for name in names:
            default = name == DEFAULT_MODEL
            if name not in present:
                listed.append(NamedModel(name, where, False, default))
                continue
            folder = PRETRAINED_DIR / name
            config, document = read_config(folder)
            listed.append(
                NamedModel(
                    name,
                    where,
                    True,
                    default,
                    arch=config.arch,
                    parameters=document.get("parameters"),
                    channels=config.channels,
                    height=config.height,
                    width=config.width,
                    resize=config.resize,
                    charset=config.charset,
                    render_version=document.get("render_version"),
                    size_bytes=(folder / "model.safetensors").stat().st_size,
                )
            )
    return listed
