"""CTC decoding: greedy (best path), prefix beam search, constrained beam search.

Conventions, fixed for the whole project: inputs are **log-probabilities** (log_softmax output)
shaped ``(T, C)`` for one sample or ``(B, T, C)`` for a batch; token 0 is the **blank**; token
``k >= 1`` is ``charset.chars[k - 1]``.

Confidence: every decoder reports ``log_prob = log P(text | image)``, the probability of the
decoded *string* summed over all its CTC alignments (not the best path's probability). Greedy
computes it exactly with a CTC forward pass; beam search accumulates the same quantity over the
alignments its beam kept, which is exact when nothing was pruned and a lower bound otherwise.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from generator.errors import UserError

from .lm import END

NEG_INF = float("-inf")
# Labels below this log-probability in a frame are not tried by beam search (p < 3.4e-4):
# on the reference model's logits it halves the cost at identical accuracy (perf_decode).
DEFAULT_TOKEN_MIN_LOGP = -8.0


class DecoderError(UserError):
    """A decoder name or constraint that cannot be used."""


@dataclass(frozen=True)
class Decoded:
    text: str
    log_prob: float

    @property
    def confidence(self) -> float:
        """P(text | image), in [0, 1]."""
        return math.exp(self.log_prob) if self.log_prob > NEG_INF else 0.0


# --------------------------------------------------------------------------------------------
# Greedy


def best_path_tokens(log_probs: np.ndarray) -> list[list[int]]:
    """Collapse repeats then drop blanks of the per-frame argmax, for a (B, T, C) batch."""
    best = np.asarray(log_probs).argmax(axis=-1)
    keep = best != 0
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return [row[mask].tolist() for row, mask in zip(best, keep, strict=True)]


def greedy_decode(log_probs: np.ndarray, chars: str) -> list[Decoded]:
    """Best-path decoding of a (B, T, C) batch; confidence from an exact CTC forward pass."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    tokens = best_path_tokens(log_probs)
    scores = sequence_log_probs(log_probs, tokens)
    return [
        Decoded("".join(chars[t - 1] for t in seq), float(s))
        for seq, s in zip(tokens, scores, strict=True)
    ]


# --------------------------------------------------------------------------------------------
# Exact probability of a labelling (CTC forward algorithm), batched


def sequence_log_probs(log_probs: np.ndarray, targets: Sequence[Sequence[int]]) -> np.ndarray:
    """``log P(target_b | x_b)`` for each sample of a (B, T, C) batch, summed over alignments.
    ``-inf`` where no alignment exists (target too long for T)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    batch, frames, _ = log_probs.shape
    lengths = np.array([len(t) for t in targets])
    max_len = int(lengths.max(initial=0))
    states = 2 * max_len + 1
    ext = np.zeros((batch, states), dtype=np.int64)  # blank, l1, blank, l2, …, blank
    for b, target in enumerate(targets):
        ext[b, 1 : 2 * len(target) : 2] = target
    # A state may skip the blank before it when it holds a label different from two back.
    can_skip = np.zeros((batch, states), dtype=bool)
    can_skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    emit = np.take_along_axis(
        log_probs, np.broadcast_to(ext[:, None, :], (batch, frames, states)), 2
    )
    alpha = np.full((batch, states), NEG_INF)
    alpha[:, 0] = emit[:, 0, 0]
    if states > 1:
        alpha[:, 1] = emit[:, 0, 1]
    with np.errstate(invalid="ignore"):
        for t in range(1, frames):
            stay = alpha
            step = np.concatenate([np.full((batch, 1), NEG_INF), alpha[:, :-1]], axis=1)
            skip = np.concatenate([np.full((batch, 2), NEG_INF), alpha[:, :-2]], axis=1)
            skip = np.where(can_skip, skip, NEG_INF)
            alpha = _logsumexp3(stay, step, skip) + emit[:, t]
    last = 2 * lengths
    end_blank = alpha[np.arange(batch), last]
    end_label = np.where(lengths > 0, alpha[np.arange(batch), np.maximum(last - 1, 0)], NEG_INF)
    return np.logaddexp(end_blank, end_label)


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    top = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isneginf(top), 0.0, top)
    total = np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)
    with np.errstate(divide="ignore"):
        return np.where(np.isneginf(top), NEG_INF, safe + np.log(total))


# --------------------------------------------------------------------------------------------
# Beam search


class Trie:
    """Prefix tree of a closed word list: beam search only extends prefixes of some word."""

    __slots__ = ("children", "is_word")

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.children: dict[str, Trie] = {}
        self.is_word = False
        for word in words:
            self.add(word)

    def add(self, word: str) -> None:
        node = self
        for ch in word:
            node = node.children.setdefault(ch, Trie())
        node.is_word = True

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        node = self
        for ch in word:
            node = node.children.get(ch)
            if node is None:
                return False
        return node.is_word


@dataclass(frozen=True)
class Constraints:
    """What a valid answer looks like; each part optional, all combinable."""

    min_len: int = 0
    max_len: int | None = None
    allowed: str | None = None  # characters the answer may use
    lexicon: tuple[str, ...] | None = None  # the answer must be one of these
    _trie: Trie | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.min_len < 0 or (self.max_len is not None and self.max_len < self.min_len):
            raise DecoderError(f"bad length constraint [{self.min_len}, {self.max_len}]")
        if self.lexicon is not None:
            if not self.lexicon:
                raise DecoderError("lexicon is empty")
            object.__setattr__(self, "_trie", Trie(self.lexicon))

    def accepts(self, text: str) -> bool:
        if len(text) < self.min_len or (self.max_len is not None and len(text) > self.max_len):
            return False
        if self.allowed is not None and any(c not in self.allowed for c in text):
            return False
        return self._trie is None or text in self._trie


def within_alphabet(log_probs: np.ndarray, chars: str, allowed: str) -> np.ndarray:
    """Log-probabilities conditioned on the answer using only ``allowed`` characters (and
    blank): the other labels' columns become -inf and every frame is renormalised.

    Every CTC path has one term per frame, so renormalising multiplies every admissible
    string's probability by the same factor: decoders rank exactly as they would by skipping
    the other labels, and confidences read P(text | image, text within the alphabet)."""
    keep = np.array([True] + [ch in allowed for ch in chars])
    if not keep[1:].any():
        raise DecoderError(f"the model cannot write any of the allowed characters {allowed!r}")
    lp = np.where(keep, np.asarray(log_probs), -np.inf)
    top = lp.max(axis=-1, keepdims=True)
    return (lp - top - np.log(np.exp(lp - top).sum(axis=-1, keepdims=True))).astype(
        np.asarray(log_probs).dtype
    )


def reading_alphabet(model_chars: str, target_chars: str) -> str | None:
    """The model's characters a target can write, or None when that is all of them (nothing
    to restrict). Characters the model cannot write are the caller's to refuse."""
    shared = "".join(ch for ch in model_chars if ch in set(target_chars))
    return None if len(shared) == len(model_chars) else shared


def _lse(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


def prefix_beam_search(
    log_probs: np.ndarray,
    chars: str,
    beam_width: int = 10,
    *,
    constraints: Constraints | None = None,
    n_best: int = 1,
    token_min_logp: float = DEFAULT_TOKEN_MIN_LOGP,
    lm=None,
    alpha: float = 0.0,
    beta: float = 0.0,
) -> list[Decoded]:
    """CTC prefix beam search over one sample's (T, C) log-probabilities.

    Each prefix keeps two log scores, ending in blank (``pb``) and ending in its last label
    (``pnb``), so alignments that collapse to the same string are merged. Labels whose frame
    log-probability is below ``token_min_logp`` are not tried (``-inf`` disables the pruning).
    Returns up to ``n_best`` hypotheses satisfying ``constraints``, best first; none if no
    admissible string survived the beam.

    With a language model ``lm`` (crnn.lm.CharNgram), a prefix is ranked by its CTC score plus
    ``alpha`` x log P_lm(prefix, and at the end its end symbol) plus ``beta`` per character
    (shallow fusion; alpha = beta = 0 is plain beam search). ``log_prob`` stays the CTC score.
    """
    if beam_width < 1:
        raise DecoderError(f"beam width must be at least 1, got {beam_width}")
    lp = np.asarray(log_probs, dtype=np.float64)
    con = constraints or Constraints()
    max_len = con.max_len if con.max_len is not None else len(lp)
    usable = np.ones(lp.shape[1], dtype=bool)
    usable[0] = False
    if con.allowed is not None:
        usable[1:] = [ch in con.allowed for ch in chars]
    # Candidate labels per frame, found for all frames at once: most CTC frames are blank-only.
    frame_idx, token_idx = np.nonzero((lp >= token_min_logp) & usable)
    per_frame: list[list[tuple[str, float]]] = [[] for _ in range(len(lp))]
    for t, k, logp in zip(
        frame_idx.tolist(), token_idx.tolist(), lp[frame_idx, token_idx].tolist(), strict=True
    ):
        per_frame[t].append((chars[k - 1], logp))
    blanks = lp[:, 0].tolist()
    root = con._trie
    fused = lm is not None and (alpha or beta)
    # prefix -> [log P(prefix, ends in blank), log P(prefix, ends in label), trie node,
    #            language-model bonus of the prefix]
    beams: dict[str, list] = {"": [0.0, NEG_INF, root, 0.0]}
    for blank, candidates in zip(blanks, per_frame, strict=True):
        if not candidates:  # a blank-only frame: every prefix just absorbs it
            beams = {
                p: [_lse(pb, pnb) + blank, NEG_INF, node, bonus]
                for p, (pb, pnb, node, bonus) in beams.items()
            }
            continue
        nxt: dict[str, list] = {}
        for prefix, (pb, pnb, node, bonus) in beams.items():
            total = _lse(pb, pnb)
            entry = nxt.get(prefix)
            if entry is None:
                entry = nxt[prefix] = [total + blank, NEG_INF, node, bonus]
            else:
                entry[0] = _lse(entry[0], total + blank)
            last = prefix[-1] if prefix else None
            for ch, logp in candidates:
                if ch == last:
                    # "aa" without a blank between collapses to "a": the prefix stays.
                    entry[1] = _lse(entry[1], pnb + logp)
                    score = pb + logp
                else:
                    score = total + logp
                if score == NEG_INF or len(prefix) >= max_len:
                    continue
                child = None
                if root is not None:
                    child = node.children.get(ch)
                    if child is None:
                        continue
                new = prefix + ch
                other = nxt.get(new)
                if other is None:
                    extra = bonus + alpha * lm.logp(prefix, ch) + beta if fused else 0.0
                    nxt[new] = [NEG_INF, score, child, extra]
                else:
                    other[1] = _lse(other[1], score)
        if len(nxt) > beam_width:
            scored = [(_lse(v[0], v[1]) + v[3], prefix) for prefix, v in nxt.items()]
            nxt = {prefix: nxt[prefix] for _, prefix in heapq.nlargest(beam_width, scored)}
        beams = nxt
    finals = []
    for prefix, (pb, pnb, node, bonus) in beams.items():
        if len(prefix) >= con.min_len and (root is None or node.is_word):
            rank = _lse(pb, pnb) + bonus + (alpha * lm.logp(prefix, END) if fused else 0.0)
            finals.append((rank, Decoded(prefix, _lse(pb, pnb))))
    finals.sort(key=lambda item: item[0], reverse=True)
    return [decoded for _, decoded in finals[:n_best]]


def beam_decode(
    log_probs: np.ndarray,
    chars: str,
    beam_width: int = 10,
    *,
    constraints: Constraints | None = None,
    token_min_logp: float = DEFAULT_TOKEN_MIN_LOGP,
    lm=None,
    alpha: float = 0.0,
    beta: float = 0.0,
) -> list[Decoded]:
    """Top hypothesis per sample of a (B, T, C) batch (empty text, probability 0, when the
    constraints admit nothing the beam found)."""
    out = []
    for sample in np.asarray(log_probs, dtype=np.float64):
        best = prefix_beam_search(
            sample, chars, beam_width, constraints=constraints, token_min_logp=token_min_logp,
            lm=lm, alpha=alpha, beta=beta,
        )  # fmt: skip
        out.append(best[0] if best else Decoded("", NEG_INF))
    return out


# --------------------------------------------------------------------------------------------
# Several views of one image (test-time augmentation, crnn.views)


def ensemble(
    view_log_probs: Sequence[np.ndarray], view_decoded: Sequence[Sequence[Decoded]], chars: str
) -> list[Decoded]:
    """One reading per image from several views of it: every view's reading is a candidate,
    every view scores every candidate exactly (CTC forward pass), and the candidate with the
    highest mean log-probability wins — a product of experts, so a reading one view is sure of
    and the others find plausible beats one the base view alone prefers. Its ``log_prob`` is
    that mean (the geometric mean of the views' probabilities)."""
    if not view_log_probs or len(view_log_probs) != len(view_decoded):
        raise DecoderError("an ensemble needs one decoded list per view, and at least one view")
    n = len(view_decoded[0])
    owners, candidates = [], []  # flattened (image, candidate) pairs: one CTC pass per view
    for i in range(n):
        for text in sorted({decoded[i].text for decoded in view_decoded}):  # sorted: ties
            owners.append(i)
            candidates.append(text)
    tokens = [[chars.index(c) + 1 for c in text] for text in candidates]
    score = np.zeros(len(candidates))
    for log_probs in view_log_probs:
        score += sequence_log_probs(np.asarray(log_probs)[owners], tokens)
    score /= len(view_log_probs)
    best: dict[int, int] = {}
    for k, i in enumerate(owners):
        if i not in best or score[k] > score[best[i]]:
            best[i] = k
    return [Decoded(candidates[best[i]], float(score[best[i]])) for i in range(n)]


# --------------------------------------------------------------------------------------------
# Decoder names used on command lines: "greedy", "beam:10", "greedy+tta"


@dataclass(frozen=True)
class DecodeContext:
    """What a style tells a decoder: its label length range, its word list (for ``+lexicon``),
    a character language model (for ``+lm``) with its tuned weights."""

    length: tuple[int, int] | None = None
    words: tuple[str, ...] | None = None
    lm: object | None = None  # crnn.lm.CharNgram
    alpha: float = 0.5
    beta: float = 0.0


MODIFIERS = ("len", "lexicon", "lm")


@dataclass(frozen=True)
class DecoderSpec:
    kind: str  # "greedy" | "beam"
    beam_width: int = 1
    modifiers: tuple[str, ...] = ()  # in MODIFIERS order: len, lexicon, lm
    tta: bool = False  # read several views of each image (crnn.views) and ensemble them

    @property
    def name(self) -> str:
        head = "greedy" if self.kind == "greedy" else f"beam:{self.beam_width}"
        return "+".join([head, *self.modifiers, *(["tta"] if self.tta else [])])

    def needs(self) -> tuple[str, ...]:
        """What the context must supply: words for +lexicon, a language model for +lm."""
        return tuple(m for m in self.modifiers if m in ("lexicon", "lm"))

    def decode(
        self,
        log_probs: np.ndarray | Sequence[np.ndarray],
        chars: str,
        constraints: Constraints | None = None,
        context: DecodeContext | None = None,
    ) -> list[Decoded]:
        """``log_probs``: a (B, T, C) batch, or for ``+tta`` a list of them, one per view (the
        same images in the same order), as Recognizer.view_log_probs gives."""
        if constraints is not None and constraints.allowed is not None:
            # Masking once, up front, keeps greedy greedy (a constraint would send it through
            # beam search) and lets every view of +tta score candidates on the same footing.
            allowed = constraints.allowed
            if isinstance(log_probs, np.ndarray):
                log_probs = within_alphabet(log_probs, chars, allowed)
            else:
                log_probs = [within_alphabet(lp, chars, allowed) for lp in log_probs]
            constraints = replace(constraints, allowed=None)
            if constraints == Constraints():
                constraints = None
        if self.tta:
            if isinstance(log_probs, np.ndarray):
                raise DecoderError(
                    f"decoder {self.name} reads several views of each image: give it one "
                    "batch of log-probabilities per view"
                )
            single = replace(self, tta=False)
            decoded = [single.decode(lp, chars, constraints, context) for lp in log_probs]
            return ensemble(log_probs, decoded, chars)
        if self.modifiers:
            ctx = context or DecodeContext()
            missing = [m for m in self.needs() if getattr(ctx, _NEEDED[m]) is None]
            if "len" in self.modifiers and ctx.length is None:
                missing.append("len")
            if missing:
                raise DecoderError(
                    f"decoder {self.name} needs {', '.join(_WHAT[m] for m in missing)}"
                )
            base = constraints or Constraints()
            lo, hi = ctx.length if "len" in self.modifiers else (base.min_len, base.max_len)
            constraints = Constraints(
                min_len=lo,
                max_len=hi,
                allowed=base.allowed,
                lexicon=ctx.words if "lexicon" in self.modifiers else base.lexicon,
            )
            if "lm" in self.modifiers:
                return beam_decode(
                    log_probs, chars, self.beam_width, constraints=constraints,
                    lm=ctx.lm, alpha=ctx.alpha, beta=ctx.beta,
                )  # fmt: skip
        if self.kind == "greedy" and constraints is None:
            return greedy_decode(log_probs, chars)
        width = self.beam_width if self.kind == "beam" else 1
        return beam_decode(log_probs, chars, width, constraints=constraints)


_NEEDED = {"lexicon": "words", "lm": "lm"}
_WHAT = {"len": "a length range", "lexicon": "a word list", "lm": "a language model"}
_DECODER_HELP = (
    "use greedy or beam:K with an integer K >= 1, optionally +len, +lexicon, +lm, and +tta "
    "for several views of each image (e.g. beam:10, beam:10+lexicon, greedy+tta)"
)


def parse_decoder(text: str) -> DecoderSpec:
    """``greedy``, ``beam:K`` (K >= 1) or ``beam:K+len``, ``+lexicon``, ``+lm`` and their
    combinations, each optionally ``+tta``, parsed strictly: anything else is an error."""
    name = text.strip().lower()
    head, *mods = name.split("+")
    tta = "tta" in mods
    if tta:
        if mods.count("tta") > 1:
            raise DecoderError(f"decoder {text!r}: +tta is given twice")
        mods.remove("tta")
    if head == "greedy" and not mods:
        return DecoderSpec("greedy", tta=tta)
    kind, colon, width = head.partition(":")
    if kind != "beam" or not colon:
        raise DecoderError(f"unknown decoder {text!r}; {_DECODER_HELP}")
    if not width.isdigit():
        raise DecoderError(f"decoder {text!r}: beam width must be an integer; {_DECODER_HELP}")
    k = int(width)
    if not 1 <= k <= 1000:
        raise DecoderError(f"decoder {text!r}: beam width must be between 1 and 1000")
    unknown = [m for m in mods if m not in MODIFIERS]
    if unknown or len(set(mods)) != len(mods):
        raise DecoderError(f"decoder {text!r}: modifiers are +len, +lexicon, +lm, +tta, each once")
    return DecoderSpec("beam", k, tuple(m for m in MODIFIERS if m in mods), tta=tta)


def parse_decoders(text: str) -> list[DecoderSpec]:
    """A comma list of decoders; each at most once."""
    specs = [parse_decoder(part) for part in text.split(",") if part.strip()]
    if not specs:
        raise DecoderError("no decoder given")
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DecoderError(f"decoder {twice[0]} is listed twice")
    return specs
