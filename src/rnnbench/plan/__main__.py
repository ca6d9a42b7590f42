"""``python -m rnnbench.plan``: see :mod:`rnnbench.plan`."""
import sys

from .cli import main

sys.exit(main())
