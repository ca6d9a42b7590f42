"""rnnbench: the lecture "Recurrent Neural Networks, part 2" as rerunnable experiments."""
__version__ = "0.1.0"
