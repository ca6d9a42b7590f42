"""``python -m rnnbench.data.har``: see :mod:`rnnbench.data.har.cli`."""
from .cli import main

main()
