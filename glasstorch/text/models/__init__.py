"""glasstorch.text.models: the models of d2l's text chapters, on glasstorch.nn.

    rnn_lm.py       RNNLM (character/word language model), StatefulLM, perplexity
    seq2seq.py      RNN encoder-decoder, with and without Bahdanau attention
    transformer.py  Transformer encoder-decoder with sinusoidal positional encoding
    bert.py         BERT with masked-LM and next-sentence heads, pretraining data
    word2vec.py     skip-gram and CBOW with negative sampling, nearest neighbours
"""
from .rnn_lm import *  # noqa: F401,F403
from .seq2seq import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .bert import *  # noqa: F401,F403
from .word2vec import *  # noqa: F401,F403
