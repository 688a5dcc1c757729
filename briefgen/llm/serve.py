"""llama-cpp-python's OpenAI-compatible server, with the JSON grammar applied lazily.

    python -m briefgen.llm.serve --model FILE --port N ...   # the same flags as python -m llama_cpp.server

Why: llama-cpp-python 0.3.x puts the grammar sampler in the sampling chain (penalties →
grammar → greedy), so at *every* generated token it runs the grammar over all 151,936
candidates of Qwen2.5's vocabulary before greedy picks one. On this machine kind that costs
about as much as the model's own decode step (SPEC: ~32–36 tokens/s unconstrained, ~19 under
the ``json_object`` + schema grammar). llama.cpp's own sampler (``common_sampler_sample``)
avoids it: sample without the grammar, ask the grammar about that one token, and only when it
is rejected apply the grammar to all candidates and sample again.

Under greedy decoding (temperature 0, which every briefgen prompt uses) this gives the same
token, so the same output byte for byte:

* greedy picks the first candidate with the largest logit; the grammar only sets rejected
  candidates to −inf, in place (no reordering), and the penalties sampler only changes
  values, so the two commute;
* if the unconstrained choice ``t`` is allowed, no candidate before ``t`` reached its logit
  and grammar masking can only lower others: greedy under the grammar picks ``t`` too;
* the grammar's verdict on a candidate does not depend on the other candidates (llama.cpp
  rejects each one against the grammar stacks on its own), so checking a one-element array
  gives the same verdict as the full mask;
* when ``t`` is rejected we run the stock chain, unchanged, on a fresh copy of the logits;
* the token is then accepted by the whole chain, as ``llama_sampler_sample`` does, so the
  penalties' history and the grammar's state advance exactly as before.

Anything else (temperature > 0, mirostat, a logits processor such as ``logit_bias`` or
``min_tokens``, no grammar) keeps llama-cpp-python's sampler untouched.

Measured on the five seeds' summarize requests (bench/RESULTS.md, 2026-12-01): replies byte
for byte the same on the stock and the lazy server (``bench/lazy_equivalence.py``; the slow
test in ``tests/test_serve.py``); 17 of 1,073 sampled tokens needed the full-grammar resample;
the time per generated token outside the model's decode (sampling, grammar, Python) fell from
27.6 to 2.4 ms (``bench/profile_seeds.py``) and from 40.2 to 3.0 ms in a second, busier run.
"""

from __future__ import annotations

import ctypes
import inspect
import logging
import math
import sys
from typing import Any

import numpy as np
from llama_cpp import llama_cpp as C
from llama_cpp.llama import Llama

# llama_token_data {int32 id; float logit; float p}: a numpy view llama.cpp can read in place.
log = logging.getLogger(__name__)

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
assert _TOKEN_DATA.itemsize == ctypes.sizeof(C.llama_token_data)

_stock_init_sampler = Llama._init_sampler
_STOCK_SIGNATURE = inspect.signature(_stock_init_sampler)


class LazyGrammarSampler:
    """Stands in for the ``LlamaSampler`` chain [penalties, grammar, greedy] of one completion."""

    def __init__(self, chain: Any, n_vocab: int, vocab: Any) -> None:
        self._owner = chain  # the stock LlamaSampler: keeps the C chain alive and frees it
        self._chain = chain.sampler
        subs = [C.llama_sampler_chain_get(self._chain, i) for i in range(C.llama_sampler_chain_n(self._chain))]
        names = [C.llama_sampler_name(s) for s in subs]
        self._grammar = subs[names.index(b"grammar")]
        self._rest = [s for s, name in zip(subs, names) if name != b"grammar"]  # chain order, greedy last
        self._vocab = vocab
        self._n_vocab = n_vocab
        self._cells = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._ids = np.arange(n_vocab, dtype=np.int32)
        # Any: ctypes structs whose stubs do not match how llama.cpp's fields are used here.
        self._all: Any = C.llama_token_data_array(
            data=ctypes.cast(self._cells.ctypes.data, C.llama_token_data_p), size=n_vocab, selected=-1, sorted=False)
        self._one_cell: Any = (C.llama_token_data * 1)()
        self._one: Any = C.llama_token_data_array(
            data=ctypes.cast(self._one_cell, C.llama_token_data_p), size=1, selected=-1, sorted=False)
        self.sampled = 0
        self.resampled = 0

    def _fill(self, logits: Any) -> None:
        # What llama_sampler_sample builds: {id, logit, p = 0} for every token of the vocabulary.
        self._cells["id"] = self._ids
        self._cells["logit"] = np.ctypeslib.as_array(logits, shape=(self._n_vocab,))
        self._cells["p"] = 0.0
        self._all.data = ctypes.cast(self._cells.ctypes.data, C.llama_token_data_p)
        self._all.size, self._all.selected, self._all.sorted = self._n_vocab, -1, False

    def _selected(self) -> int:
        assert 0 <= self._all.selected < self._all.size
        return int(self._all.data[self._all.selected].id)

    def sample(self, ctx: Any, idx: int = -1) -> int:
        logits = C.llama_get_logits_ith(ctx.ctx, idx)
        self._fill(logits)
        for sampler in self._rest:  # penalties, greedy: the chain without its grammar
            C.llama_sampler_apply(sampler, ctypes.byref(self._all))
        token = self._selected()
        # Ask the grammar about that one token.
        self._one_cell[0].id, self._one_cell[0].logit, self._one_cell[0].p = token, 0.0, 0.0
        self._one.size, self._one.selected, self._one.sorted = 1, -1, False
        C.llama_sampler_apply(self._grammar, ctypes.byref(self._one))
        if self._one_cell[0].logit == -math.inf:
            # Rejected: the stock chain, grammar included, over every candidate.
            self.resampled += 1
            self._fill(logits)
            C.llama_sampler_apply(self._chain, ctypes.byref(self._all))
            token = self._selected()
        C.llama_sampler_accept(self._chain, token)  # penalties' history and grammar state, as before
        self.sampled += 1
        if C.llama_vocab_is_eog(self._vocab, token):
            log.info("lazy grammar: %d tokens sampled, %d resampled under the grammar", self.sampled, self.resampled)
        return token

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner, name)  # accept, reset, close, ... of the stock chain


def _init_sampler(self: Llama, *args: Any, **kwargs: Any) -> Any:
    chain = _stock_init_sampler(self, *args, **kwargs)
    params = _STOCK_SIGNATURE.bind(self, *args, **kwargs)
    params.apply_defaults()
    p = params.arguments
    if p["grammar"] is None or p["temp"] != 0.0 or p["logits_processor"] is not None:
        return chain
    n = C.llama_sampler_chain_n(chain.sampler)
    names = [C.llama_sampler_name(C.llama_sampler_chain_get(chain.sampler, i)) for i in range(n)]
    if names.count(b"grammar") != 1 or names[-1] != b"greedy":
        return chain  # not the chain this was written for: leave it alone
    return LazyGrammarSampler(chain, self._n_vocab, self._model.vocab)


def install() -> None:
    """Make every Llama in this process sample its grammar lazily (greedy decoding only)."""
    Llama._init_sampler = _init_sampler  # type: ignore[method-assign]


def main() -> None:
    install()
    from llama_cpp.server.__main__ import main as server_main

    # This is the server process's entry point: its stderr is the server log, read by the
    # benchmarks; the library itself only logs.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.info("briefgen.llm.serve: lazy grammar sampling on (greedy decoding)")
    server_main()


if __name__ == "__main__":
    main()
