"""CRNN (Shi, Bai, Yao 2015, arXiv 1507.05717): conv stack -> map-to-sequence -> BiLSTM -> CTC.

The conv stack halves height and width twice (2x2 pools), then halves only the height ((2,1)
pools) so the sequence keeps T = W/4 frames, one every 4 input columns; a final conv collapses
the remaining height to 1. Presets differ in width, not in shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from generator.charset import Charset
from generator.errors import UserError

from .preprocess import RESIZE_MODES


class ModelConfigError(UserError):
    """An architecture that cannot read the labels it is asked to read."""


@dataclass(frozen=True)
class Arch:
    channels: tuple[int, ...]  # 7 conv layers, as in the paper
    hidden: int  # LSTM hidden size per direction
    lstm_layers: int


ARCHS: dict[str, Arch] = {
    # The paper's / seed project's topology: ~8 M parameters.
    "crnn": Arch((64, 128, 256, 256, 512, 512, 512), hidden=256, lstm_layers=2),
    # Sized for CPU work: ~1 M parameters, ~50 M multiply-adds per 32x96 image.
    "small": Arch((16, 32, 64, 64, 128, 128, 128), hidden=128, lstm_layers=2),
    # `small` grown by crnn.widen (1.5x the conv channels and LSTM units): ~2.2 M parameters,
    # 78 % of small's training speed on 2 CPU cores (the LSTM, not the convs, dominates there).
    "medium": Arch((24, 48, 96, 96, 192, 192, 192), hidden=192, lstm_layers=2),
    # `small` x 2 (medium grown once more by crnn.widen): ~3.9 M parameters, the widest reader
    # whose float32 weights stay under the 20 MB a shipped model may weigh; trained on a GPU.
    "large": Arch((32, 64, 128, 128, 256, 256, 256), hidden=256, lstm_layers=2),
    # For tests and smoke runs: 0.15 M parameters.
    "tiny": Arch((8, 16, 32, 32, 64, 64, 64), hidden=64, lstm_layers=1),
}

# Where each conv is followed by a pool, and which: 2x2 halves both axes, (2,1) the height only.
_POOLS = {0: (2, 2), 1: (2, 2), 3: (2, 1), 5: (2, 1)}


@dataclass(frozen=True)
class ModelConfig:
    arch: str = "small"
    charset: str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    height: int = 32
    width: int = 96
    max_label: int = 6  # longest label the model must be able to emit
    resize: str = "stretch"  # how images reach height x width: stretch, or pad (keep aspect)
    # Input channels: 1 reads luminance (every reader before colour input), 3 reads RGB, so
    # clutter that differs from the text in hue alone stays visible to it.
    channels: int = 1

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ModelConfigError(f"channels must be 1 (grey) or 3 (RGB), got {self.channels}")
        if self.resize not in RESIZE_MODES:
            raise ModelConfigError(
                f"resize {self.resize!r} is not one of {', '.join(RESIZE_MODES)}"
            )
        if self.arch not in ARCHS:
            raise ModelConfigError(f"unknown arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.height != 32:
            raise ModelConfigError(f"input height must be 32 (the conv stack's), got {self.height}")
        if self.width < 8 or self.width % 4:
            raise ModelConfigError(f"input width must be a multiple of 4, >= 8; got {self.width}")
        Charset(self.charset)  # validates
        # CTC needs a frame per label plus a blank between repeated labels: worst case 2L - 1.
        if self.frames < 2 * self.max_label - 1:
            raise ModelConfigError(
                f"input width {self.width} gives T = {self.frames} frames, too few for labels of "
                f"{self.max_label} characters (CTC needs up to {2 * self.max_label - 1} with "
                f"repeats); use width >= {4 * (2 * self.max_label - 1)}"
            )

    @property
    def frames(self) -> int:
        return self.width // 4

    @property
    def num_classes(self) -> int:
        return len(self.charset) + 1

    def to_dict(self) -> dict:
        # A grey reader's dict is what it was before `channels` existed, so the metadata inside
        # every committed weights file, and every key made from it, still match.
        plain = asdict(self)
        if plain["channels"] == 1:
            del plain["channels"]
        return plain


def _conv(cin: int, cout: int, kernel=3, padding=1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, kernel, 1, padding, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    ]


class CRNN(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        arch = ARCHS[config.arch]
        layers: list[nn.Module] = []
        cin = config.channels
        for i, cout in enumerate(arch.channels[:-1]):
            layers += _conv(cin, cout)
            if i in _POOLS:
                layers.append(nn.MaxPool2d(_POOLS[i], _POOLS[i]))
            cin = cout
        # Height is 2 here; a (2, 1) conv without padding collapses it to 1.
        layers += _conv(cin, arch.channels[-1], kernel=(2, 1), padding=0)
        self.cnn = nn.Sequential(*layers)
        self.rnn = nn.LSTM(
            arch.channels[-1],
            arch.hidden,
            num_layers=arch.lstm_layers,
            bidirectional=True,
            batch_first=True,
        )
        self.head = nn.Linear(2 * arch.hidden, config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, channels, 32, W) in [-1, 1] -> log-probabilities (B, T, C), blank at index 0."""
        features = self.cnn(images)  # (B, C, 1, T)
        seq = features.squeeze(2).transpose(1, 2)  # map-to-sequence: (B, T, C)
        seq, _ = self.rnn(seq)
        return self.head(seq).log_softmax(-1)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
