"""A character n-gram language model for beam search, estimated from a word list.

Witten-Bell smoothing, interpolated down to a uniform distribution over the alphabet plus the
end-of-word symbol:

    P(c | h) = (C(h c) + T(h) * P(c | h')) / (C(h) + T(h))

where C counts n-grams in the word list (each word padded with start symbols and closed by an
end symbol), T(h) is the number of distinct symbols seen after the history h, and h' is h without
its oldest symbol. A history never seen (C(h) = 0) falls back to P(c | h') entirely. Every
distribution sums to one over the alphabet and the end symbol (tested).
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable

START = "\x02"
END = "\x03"


class CharNgram:
    def __init__(self, words: Iterable[str], alphabet: str, order: int = 3) -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        self.alphabet = alphabet
        self.vocabulary = len(alphabet) + 1  # + END
        self.counts: dict[str, Counter] = defaultdict(Counter)
        for word in words:
            padded = START * (order - 1) + word + END
            for i in range(order - 1, len(padded)):
                for n in range(order):  # every history length 0 .. order-1
                    self.counts[padded[i - n : i]][padded[i]] += 1
        self._totals = {h: sum(c.values()) for h, c in self.counts.items()}

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 - one model per word list, kept for reuse
    def prob(self, history: str, symbol: str) -> float:
        """P(symbol | the last order-1 symbols of history); START-padded on the left."""
        if self.order == 1:
            return self._wb("", symbol)
        return self._wb((START * (self.order - 1) + history)[-(self.order - 1) :], symbol)

    def _wb(self, context: str, symbol: str) -> float:
        lower = 1.0 / self.vocabulary if not context else self._wb(context[1:], symbol)
        seen = self.counts.get(context)
        if not seen:
            return lower
        types, total = len(seen), self._totals[context]
        return (seen[symbol] + types * lower) / (total + types)

    def logp(self, history: str, symbol: str) -> float:
        return math.log(self.prob(history, symbol))

    def word_logp(self, word: str) -> float:
        """log P(word, then end of word)."""
        return sum(self.logp(word[:i], ch) for i, ch in enumerate(word)) + self.logp(word, END)
