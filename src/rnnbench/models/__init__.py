"""Recurrent models: torch sequence models (``seq``), initialisers, Keras reference (``keras_models``)."""
from .seq import CELLS, ModelSpec, SequenceModel, build_model, count_parameters

__all__ = ["CELLS", "ModelSpec", "SequenceModel", "build_model", "count_parameters"]
