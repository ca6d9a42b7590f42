"""Sequential MNIST (784 steps × 1 pixel) and its permuted variant, from the real mirror files."""
from __future__ import annotations

import numpy as np
import pytest

from rnnbench.data.fetch import fetch
from rnnbench.data.mnist import load_mnist, prepare_mnist, read_idx


@pytest.fixture(scope="module")
def mnist_npz(tmp_path_factory, mirror):
    d = tmp_path_factory.mktemp("mnist")
    fetch("mnist", d / "raw", mirror, allow_network=False)
    prepare_mnist(d / "raw", d / "mnist.npz")
    return d / "mnist.npz"


def test_pixel_sequences_and_split(mnist_npz):
    d = load_mnist(mnist_npz, permuted=False, n_train=1000, n_test=500)
    assert d.x_train.shape == (1000, 784, 1) and d.x_test.shape == (500, 784, 1)
    assert d.x_val.shape == (100, 784, 1) and d.n_outputs == 10
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    full = load_mnist(mnist_npz, permuted=False)
    assert len(full.x_train) == 55000 and len(full.x_val) == 5000 and len(full.x_test) == 10000
    assert np.bincount(full.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_permuted_is_one_fixed_permutation(mnist_npz):
    a = load_mnist(mnist_npz, permuted=False, n_train=50, n_test=10)
    p = load_mnist(mnist_npz, permuted=True, n_train=50, n_test=10)
    q = load_mnist(mnist_npz, permuted=True, n_train=50, n_test=10)
    assert np.array_equal(p.x_train, q.x_train) and not np.array_equal(a.x_train, p.x_train)
    # the same pixels, reordered identically for every image
    assert np.allclose(np.sort(a.x_train[:, :, 0], 1), np.sort(p.x_train[:, :, 0], 1))


def test_truncated_idx_is_a_clear_error(tmp_path):
    f = tmp_path / "x-idx1-ubyte"
    f.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + bytes(10))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(f)
