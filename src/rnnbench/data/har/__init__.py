"""UCI HAR task: prepare 128-step x 9-channel windows from one of two sources.

* ``uci``: the canonical UCI HAR v1.0 download (the outer zip holding ``UCI HAR Dataset.zip``),
  read as-is: ``{train,test}/Inertial Signals/*`` , ``y_*.txt``, ``subject_*.txt``.
* ``hapt``: the raw recordings of HAPT v2.1 (same lab, subjects and experiments), windowed with
  UCI HAR's documented preprocessing. An equivalent for offline machines, not bit-identical.

Both write one ``np.savez_compressed`` file with x/y/subject per split (train, val, test) and a
JSON ``meta`` string; :func:`load_har` turns it into a :class:`TaskData`.

One file per concern:

* :mod:`.prepared`: the prepared file: the task's fixed facts (window, channels, classes, UCI's
  subject split and window counts), its writer (validation subjects, checks, meta) and :func:`load_har`;
* :mod:`.uci`: reading UCI HAR's published windows out of its (nested) zip: :func:`prepare_uci`;
* :mod:`.hapt`: filtering and windowing HAPT's raw recordings: :func:`prepare_hapt`;
* :mod:`.cli`: ``python -m rnnbench.data.har --source {uci,hapt} --raw DIR --out FILE``.
"""
from .cli import main
from .hapt import prepare_hapt
from .prepared import (CHANNEL_UNITS, CHANNELS, CLASS_NAMES, FS, N_CLASSES, SOURCE_NAMES, STEP,
                       TEST_SUBJECTS, UCI_COUNTS, WINDOW, load_har)
from .uci import prepare_uci

__all__ = ["CHANNELS", "CHANNEL_UNITS", "CLASS_NAMES", "FS", "N_CLASSES", "SOURCE_NAMES", "STEP",
           "TEST_SUBJECTS", "UCI_COUNTS", "WINDOW", "load_har", "main", "prepare_hapt", "prepare_uci"]
