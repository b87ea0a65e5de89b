"""How the logger shows its probe: one inputs series per model input, with its
layout, the tokens' text and the features' names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tbexplain import kinds, summary
from tbexplain.inputs import InputSpec
from tbexplain.methods.feeding import pad_id as embedding_pad_id
from tbexplain_plugin import metadata

__all__ = ["InputDisplay", "displays", "token_texts"]

Vocabulary = Any  # a list of texts, a TextVectorization/StringLookup layer, a function


def _per_input(value: Any, name: str, multi: bool) -> Any:
    """A per-input option: the dict entry of `name` for several inputs."""
    if multi and isinstance(value, Mapping):
        return value.get(name)
    return value


def token_texts(vocabulary: Vocabulary, ids: np.ndarray) -> list[list[str]]:
    """The text of each token id of [B, T] ids.

    Args:
      vocabulary: A list of token texts indexed by id, a layer with
        ``get_vocabulary()`` (``TextVectorization``, ``StringLookup``), or a
        function of one row of ids returning its texts.

    Raises:
      TypeError: another kind of vocabulary; ValueError: ids out of range.
    """
    if callable(getattr(vocabulary, "get_vocabulary", None)):
        vocabulary = list(vocabulary.get_vocabulary())
    if isinstance(vocabulary, Sequence) and not isinstance(vocabulary, str):
        words = [str(w) for w in vocabulary]
        if ids.size and (ids.min() < 0 or ids.max() >= len(words)):
            raise ValueError(
                f"token ids must index the vocabulary of {len(words)} entries. "
                f"Received: ids from {ids.min()} to {ids.max()}"
            )
        return [[words[i] for i in row] for row in ids.tolist()]
    if callable(vocabulary):
        return [[str(t) for t in vocabulary(row)] for row in ids]
    raise TypeError(
        "vocabulary must be a list of token texts, a TextVectorization or "
        f"StringLookup layer, or a function of ids. Received: {vocabulary!r}"
    )


def _pad_id(spec: InputSpec, vocabulary: Vocabulary) -> int | None:
    pad = embedding_pad_id(spec.embedding)
    if pad is not None:
        return pad
    if callable(getattr(vocabulary, "get_vocabulary", None)):
        vocabulary = vocabulary.get_vocabulary()
    if isinstance(vocabulary, Sequence) and vocabulary and vocabulary[0] in _PADS:
        return 0
    return None


# The text of a pad token at id 0: Keras' lookup layers' "", BERT's, others'.
_PADS = ("", "[PAD]", "<pad>")


@dataclass(frozen=True)
class InputDisplay:
    """The inputs series of one model input."""

    tag: str
    spec: InputSpec
    multi: bool
    vocabulary: Vocabulary = None
    feature_names: Sequence[str] | None = None

    def write(
        self,
        array: np.ndarray,
        step: int,
        labels: np.ndarray | None,
        class_names: Sequence[str] | None,
    ) -> None:
        """Writes the probe's values of this input under the default writer."""
        kind = kinds.get(self.spec.kind)
        tokens = None
        pad = None
        if kind.token_ids:
            pad = _pad_id(self.spec, self.vocabulary)
            if self.vocabulary is not None:
                tokens = token_texts(self.vocabulary, np.asarray(array))
        summary.inputs(
            self.tag,
            array,
            step=step,
            labels=labels,
            class_names=class_names,
            description="The probe inputs that the explanations overlay.",
            layout=kind.name,
            input_name=self.spec.name if self.multi else "",
            tokens=tokens,
            pad_id=pad,
            feature_names=self.feature_names,
        )


def displays(
    prefix: str,
    specs: Sequence[InputSpec],
    vocabulary: Any = None,
    feature_names: Any = None,
) -> dict[str, InputDisplay]:
    """Input name -> its `InputDisplay`: ``{prefix}/inputs`` for one input,
    ``{prefix}/inputs/{name}`` for each of several.

    Raises:
      ValueError: feature names of another length than the features.
    """
    multi = len(specs) > 1
    out = {}
    for spec in specs:
        names = _per_input(feature_names, spec.name, multi)
        if names is not None:
            names = [str(n) for n in names]
            if spec.kind != metadata.LAYOUT_FEATURES or len(names) != spec.shape[0]:
                raise ValueError(
                    f"feature_names must name each of the {spec.shape} features of "
                    f"input {spec.name!r}. Received: {len(names)} names"
                )
        out[spec.name] = InputDisplay(
            tag=f"{prefix}/inputs/{spec.name}" if multi else f"{prefix}/inputs",
            spec=spec,
            multi=multi,
            vocabulary=_per_input(vocabulary, spec.name, multi),
            feature_names=names,
        )
    return out
