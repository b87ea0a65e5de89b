"""Generated one-line film reviews whose sentiment rests on known cue words.

Each review is `length` token ids of a small fixed vocabulary: filler words in
a random order, one or two cue words of its class ("great", "loved", ... for
positive; "awful", "boring", ... for negative) at random positions, and
padding (id 0) at the end. The masks mark the cue words, so an explanation of
a text model can be scored like the pointing game: does its largest
attribution fall on a cue word? Generated from a seed, never downloaded.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["CLASS_NAMES", "VOCABULARY", "Reviews", "make_reviews"]

PAD, UNK = "", "[UNK]"
POSITIVE = ("great", "loved", "superb", "moving", "brilliant")
NEGATIVE = ("awful", "boring", "dull", "hated", "clumsy")
FILLER = (
    "the", "film", "was", "a", "story", "with", "and", "its", "cast", "plot",
    "in", "of", "this", "movie", "ending", "scenes", "music", "director", "at",
    "some", "it", "an", "actor", "two", "hours", "long", "camera", "old", "new",
    "is",
)  # fmt: skip
VOCABULARY = (PAD, UNK, *POSITIVE, *NEGATIVE, *FILLER)
"""Token texts by id: 0 is padding, 1 unknown (as `TextVectorization` orders)."""
CLASS_NAMES = ("negative", "positive")

_CUES = {
    0: [VOCABULARY.index(w) for w in NEGATIVE],
    1: [VOCABULARY.index(w) for w in POSITIVE],
}
_FILLER = [VOCABULARY.index(w) for w in FILLER]


@dataclasses.dataclass(frozen=True)
class Reviews:
    """Generated reviews.

    Attributes:
      tokens: int32 [N, length] token ids (`VOCABULARY`), 0-padded at the end.
      labels: int64 [N] 0 negative, 1 positive.
      cue_masks: bool [N, length], True on the cue words.
    """

    tokens: np.ndarray
    labels: np.ndarray
    cue_masks: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def texts(self) -> list[str]:
        """Each review as text (padding left out)."""
        return [" ".join(VOCABULARY[i] for i in row if i != 0) for row in self.tokens]


def make_reviews(n: int, *, length: int = 12, seed: int = 0) -> Reviews:
    """`n` reviews of `length` tokens, classes balanced and interleaved.

    Raises:
      ValueError: `n` negative or `length` below 6.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0. Received: n={n}")
    if length < 6:
        raise ValueError(f"length must be at least 6. Received: length={length}")
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n, length), np.int32)
    masks = np.zeros((n, length), bool)
    labels = np.arange(n) % 2
    for i, label in enumerate(labels):
        words = int(rng.integers(length - 3, length + 1))
        tokens[i, :words] = rng.choice(_FILLER, size=words)
        cues = int(rng.integers(1, 3))
        where = rng.choice(words, size=cues, replace=False)
        tokens[i, where] = rng.choice(_CUES[int(label)], size=cues)
        masks[i, where] = True
    return Reviews(tokens, labels.astype(np.int64), masks)
