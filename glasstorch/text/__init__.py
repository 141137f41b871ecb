"""glasstorch.text: tokenizers, Vocab, corpora (The Time Machine is shipped), language-model
batching, masks for padded sequences, d2l's attention layers, greedy/beam decoding and BLEU, as
in d2l's text chapters.

Read in this order: tokenize.py -> vocab.py -> corpora.py -> batching.py (language models) ->
masking.py, attention.py, decoding.py, metrics.py (encoder-decoder models).
"""
from .tokenize import *  # noqa: F401,F403
from .vocab import *  # noqa: F401,F403
from .corpora import *  # noqa: F401,F403
from .batching import *  # noqa: F401,F403
from .masking import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .decoding import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
