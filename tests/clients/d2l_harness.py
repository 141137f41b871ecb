"""Shared set-up for the d2l-en chapter tests (test_d2l_*.py): the data the chapters would
download, put where the unedited d2l library looks for it, and the output comparison.

The chapters run in `<tmp>/<framework>/work`; d2l's `DataModule.root` is `../data`, so:
- `data/FashionMNIST/raw/*.gz`: a stand-in for Fashion-MNIST in its IDX format, made of the
  first `n_train`/`n_val` images of the MNIST subset bundled with glasstorch (real 28x28
  grayscale images in ten classes; torchvision's loader finds the files and does not download).
  Fewer images than the real 60,000/10,000: the data-source edit that keeps CI fast.
- `data/timemachine.txt`: The Time Machine bundled with glasstorch, byte for byte the file
  d2l downloads (its SHA-1, 090b5e7e..., is the one d2l checks), so nothing is edited.
- `data/fra-eng/fra.txt`: English-French pairs from a small template grammar (fra_eng_pairs
  below) in the format of d2l's fra-eng.zip (Tatoeba data, not available offline); d2l's
  MTFraEng._download reads it instead of downloading (the recorded edit of EDITS.md).
"""
import gzip
import os
import re
import shutil
import struct

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "glasstorch", "data")
FLOAT = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def fashion_mnist_stand_in(data_root, n_train=512, n_val=256):
    raw = os.path.join(data_root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_val)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte.gz"
            _write_idx(os.path.join(raw, name), _read_idx(os.path.join(DATA, "mnist5k", name))[:n])


def setup_data(fw_root, n_train=512, n_val=256):
    """`fw_root/data` filled as above; returns the working directory `fw_root/work`."""
    data = os.path.join(fw_root, "data")
    fashion_mnist_stand_in(data, n_train, n_val)
    shutil.copy(os.path.join(DATA, "timemachine", "timemachine.txt"), data)
    fra_eng_stand_in(data)
    work = os.path.join(fw_root, "work")
    os.makedirs(work, exist_ok=True)
    return work


def run_chapter(chapter, tmp_path, n_train=512, n_val=256, timeout=900):
    """Run d2l/<chapter>.py on glasstorch and on torch (shared random stream); both outputs."""
    from test_clients import run          # tests/clients is on sys.path (no __init__.py)
    out = {}
    for fw in ("glasstorch", "torch"):
        work = setup_data(str(tmp_path / fw), n_train, n_val)
        out[fw] = run(fw, f"d2l/{chapter}.py", cwd=work, timeout=timeout)
    return out["glasstorch"], out["torch"]


def normalized(text):
    """Output lines with framework names unified and memory addresses dropped; numbers apart."""
    lines, numbers = [], []
    for line in text.splitlines():
        if line.startswith("id(") or "memory at 0x" in line or " at 0x" in line:
            continue
        line = line.replace("glasstorch.tensor.Tensor", "torch.Tensor").replace(
            "glasstorch", "torch")
        numbers += [float(x) for x in FLOAT.findall(line)]
        lines.append(FLOAT.sub("#", line))
    return lines, numbers


def assert_same_output(g, t, rel=1e-6, abs=1e-6):
    (lg, ng), (lt, nt) = normalized(g), normalized(t)
    assert lg == lt, "\n".join(a + "  |  " + b for a, b in zip(lg, lt) if a != b)
    assert ng == pytest.approx(nt, rel=rel, abs=abs)



# English-French stand-in for d2l's fra-eng.zip (Tatoeba pairs, downloaded and SHA-1 checked):
# sentence pairs from a small template grammar, in fra.txt's format (English TAB French, one
# pair a line, shortest first, French '!'/'?' after a narrow or plain no-break space as in
# the real file), so d2l's preprocessing (no-break spaces, punctuation split, lower case) runs.
_SUBJECTS = [  # English, its "to be", its question; French, "être", "avoir", "vouloir",
    # the -er ending, "chez ..." and the question's inversion
    ("I", "I'm", "Am I", "je", "suis", "ai", "veux", "e", "moi", "suis-je"),
    ("You", "You're", "Are you", "tu", "es", "as", "veux", "es", "toi", "es-tu"),
    ("He", "He's", "Is he", "il", "est", "a", "veut", "e", "lui", "est-il"),
    ("She", "She's", "Is she", "elle", "est", "a", "veut", "e", "elle", "est-elle"),
    ("We", "We're", "Are we", "nous", "sommes", "avons", "voulons", "ons", "nous",
     "sommes-nous"),
    ("They", "They're", "Are they", "ils", "sont", "ont", "veulent", "ent", "eux", "sont-ils"),
    ("Tom", "Tom's", "Is Tom", "Tom", "est", "a", "veut", "e", "lui", "Tom est-il"),
    ("Mary", "Mary's", "Is Mary", "Marie", "est", "a", "veut", "e", "elle", "Marie est-elle")]
_ADJECTIVES = [("calm", "calme"), ("sad", "triste"), ("sick", "malade"), ("tired", "fatigué"),
               ("ready", "prêt"), ("busy", "occupé"), ("happy", "content"), ("late", "en retard"),
               ("rich", "riche"), ("shy", "timide")]
_PAST = [("lost", "perdu"), ("won", "gagné"), ("ate", "mangé"), ("slept", "dormi"),
         ("paid", "payé"), ("tried", "essayé"), ("laughed", "ri"), ("cried", "pleuré"),
         ("danced", "dansé"), ("agreed", "accepté")]
_THINGS = [("tea", "le thé"), ("coffee", "le café"), ("cats", "les chats"), ("dogs", "les chiens"),
           ("music", "la musique"), ("books", "les livres"), ("apples", "les pommes"),
           ("rain", "la pluie")]
_SHOUTS = [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Stop!", "Arrête !"),
           ("Wait!", "Attends !"), ("Help!", "À l'aide !"), ("Come in.", "Entre."),
           ("Hello!", "Bonjour !"), ("Smile.", "Souris."), ("Thanks.", "Merci !"),
           ("Sit down.", "Assieds-toi !"), ("Cheers!", "Santé !"), ("Go away.", "Va-t'en !"),
           ("Go.", "Bouge !"), ("Hi.", "Salut."), ("Run!", "Courez !"), ("Wait!", "Attendez !"),
           ("Thanks.", "Merci."), ("Go away.", "Allez-vous-en !"),   # more than one translation
           ("Go now.", "Va maintenant !"), ("Come with me.", "Viens avec moi !")]


def _fr(*words):
    """French words joined, with the elisions of je and ne before a vowel (j'ai, n'est)."""
    text = " ".join(words)
    text = re.sub(r"\b(j|n)e ([aeiouéh])", r"\1'\2", text)
    return text[0].upper() + text[1:]


def _agree(adjective, subject):
    """Feminine -e after -é, prêt, content; plural -s with nous/ils."""
    if adjective == "en retard":
        return adjective
    if adjective[-1] == "é" or adjective in ("prêt", "content"):
        adjective += "e" * (subject in ("elle", "Marie"))
    return adjective + "s" * (subject in ("nous", "ils"))


def fra_eng_pairs():
    """About 725 (English, French) pairs, deterministic, sorted shortest first."""
    pairs = list(_SHOUTS)
    for i, (en, en_be, en_q, fr, etre, avoir, veut, er, chez, fr_q) in enumerate(_SUBJECTS):
        likes = "likes" if en_be.endswith("'s") else "like"
        pairs.append((f"{en_be} home.", _fr(fr, etre, "chez", chez + ".")))
        pairs.append((f"Yes, {en.lower() if en == 'You' else en} won.",
                      "Oui, " + _fr(fr, avoir, "gagné.").lower().replace("marie", "Marie")
                      .replace("tom", "Tom")))
        for j, (adj, adj_fr) in enumerate(_ADJECTIVES):
            adj_fr = _agree(adj_fr, fr)
            nbsp = "\u202f" if (i + j) % 2 else "\xa0"
            pairs.append((f"{en_be} {adj}.", _fr(fr, etre, adj_fr + ".")))
            pairs.append((f"{en_be} not {adj}.", _fr(fr, "ne", etre, "pas", adj_fr + ".")))
            pairs.append((f"{en_be} very {adj}.", _fr(fr, etre, "très", adj_fr + ".")))
            pairs.append((f"{en_q} {adj}?", _fr(fr_q, adj_fr + nbsp + "?")))
        for verb, participle in _PAST:
            pairs.append((f"{en} {verb}.", _fr(fr, avoir, participle + ".")))
            pairs.append((f"{en} {verb} again!", _fr(fr, avoir, "encore", participle + "\u202f!")))
            pairs.append((f"{en} {verb} today.", _fr(fr, avoir, participle, "aujourd'hui.")))
        for thing, thing_fr in _THINGS:
            pairs.append((f"{en} {likes} {thing}.", _fr(fr, "aim" + er, thing_fr + ".")))
            pairs.append((f"{en} {'wants' if likes == 'likes' else 'want'} {thing}.",
                          _fr(fr, veut, thing_fr + ".")))
    return sorted(pairs, key=lambda p: (len(p[0].split()), len(p[0])))


def fra_eng_stand_in(data_root):
    """`data_root/fra-eng/fra.txt`, where d2l.MTFraEng reads it (see EDITS.md)."""
    folder = os.path.join(data_root, "fra-eng")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "fra.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{en}\t{fr}\n" for en, fr in fra_eng_pairs()))
