"""Tokenizers: text -> lists of string tokens (characters or words).

`tokenize(lines, token='word'|'char')` is d2l's function (one token list per line); the word
tokenizer adds lower-casing and three ways to treat punctuation, and `clean='d2l'` applies d2l's
`re.sub('[^A-Za-z]+', ' ', text).lower()` first. Tokens go next to `vocab.Vocab`.
"""
import re

__all__ = ["d2l_clean", "char_tokenize", "word_tokenize", "tokenize"]

# A word is a run of letters/digits/underscore, with inner apostrophes kept ("don't", "o'clock");
# any other non-space character is punctuation.
_WORD = r"\w+(?:['\u2019]\w+)*"
_WORD_OR_PUNCT = re.compile(_WORD + r"|[^\w\s]")
_WORD_ONLY = re.compile(_WORD)
_NON_LETTERS = re.compile("[^A-Za-z]+")


def d2l_clean(text):
    """d2l's cleaning: every run of non-letters becomes one space, then lower-case.

    >>> d2l_clean("The Time Machine, by H. G. Wells [1898]")
    'the time machine by h g wells '
    """
    return _NON_LETTERS.sub(" ", text).lower()


def char_tokenize(text):
    """Every character is a token (spaces included), as d2l's `token='char'`."""
    return list(text)


def word_tokenize(text, lower=False, punctuation="keep", clean=None):
    """Split `text` into words.

    Args:
        lower: lower-case the text first.
        punctuation: 'keep' splits on whitespace only (d2l: "Wells," stays one token);
            'split' makes each punctuation character its own token ("Wells", ","); 'drop'
            removes punctuation. Apostrophes inside a word belong to it in both ("don't").
        clean: None, 'd2l' (apply `d2l_clean` first: letters only, lower-cased), or a
            callable str -> str applied first.

    >>> word_tokenize("Hello, world! Don't.", lower=True, punctuation="split")
    ['hello', ',', 'world', '!', "don't", '.']
    """
    if clean == "d2l":
        text = d2l_clean(text)
    elif callable(clean):
        text = clean(text)
    elif clean is not None:
        raise ValueError(f"clean should be None, 'd2l' or a callable, got {clean!r}")
    if lower:
        text = text.lower()
    if punctuation == "keep":
        return text.split()
    if punctuation == "split":
        return _WORD_OR_PUNCT.findall(text)
    if punctuation == "drop":
        return _WORD_ONLY.findall(text)
    raise ValueError(f"punctuation should be 'keep', 'split' or 'drop', got {punctuation!r}")


def tokenize(lines, token="word", **word_options):
    """One token list per line: `token='word'` (word_tokenize with `word_options`) or 'char'.
    A single string counts as one line.

    >>> tokenize(["the time", "machine"], token="char")[1]
    ['m', 'a', 'c', 'h', 'i', 'n', 'e']
    """
    if isinstance(lines, str):
        lines = [lines]
    if token == "word":
        return [word_tokenize(line, **word_options) for line in lines]
    if token == "char":
        if word_options:
            raise TypeError(f"token='char' takes no word options, got {sorted(word_options)}")
        return [char_tokenize(line) for line in lines]
    raise ValueError(f"unknown token type {token!r}: expected 'word' or 'char'")
