"""Device choice and seeding shared by every trainer."""
from __future__ import annotations

import os
import random

import numpy as np


def resolve_device(name: str = "auto"):
    """'auto' picks CUDA when present, else CPU; 'cpu', 'cuda', 'cuda:1' are taken as given."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available on this machine")
    return dev


def describe_device(dev) -> str:
    import torch

    if dev.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(dev)}"
    return f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; CPU runs are then bit-for-bit repeatable."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def set_threads(n: int | None) -> None:
    """Match torch's intra-op threads to the cores Snakemake gave the job."""
    import torch

    if n:
        torch.set_num_threads(int(n))
