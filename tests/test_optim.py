"""The loop's own optimisers step exactly as torch.optim's (with Keras' defaults), keep members
apart, and load without TorchDynamo (the start-up cost they exist to avoid)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from rnnbench.training.optim import make_optimizer


@pytest.mark.parametrize("name, reference", [
    ("adam", lambda ps: torch.optim.Adam(ps, lr=0.01, eps=1e-7)),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-7)),
    ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.01)),
])
def test_steps_equal_torch_optim(name, reference):
    torch.manual_seed(0)
    init = [torch.randn(4, 3), torch.randn(5)]
    ours = [torch.nn.Parameter(t.clone()) for t in init]
    theirs = [torch.nn.Parameter(t.clone()) for t in init]
    opt, ref = make_optimizer(name, ours, 0.01), reference(theirs)
    for step in range(6):
        grads = [torch.randn_like(t) * (step + 1) for t in init]
        for p, q, gr in zip(ours, theirs, grads):
            p.grad, q.grad = gr.clone(), gr.clone()
        opt.step()
        ref.step()
    for p, q in zip(ours, theirs):
        assert torch.equal(p.detach(), q.detach())


def test_a_masked_member_keeps_its_weights_and_its_nan_gradient_reaches_no_one():
    torch.manual_seed(1)
    w = torch.nn.Parameter(torch.randn(3, 4))
    alone = torch.nn.Parameter(w.detach()[1:2].clone())
    opt = make_optimizer("adam", [w], 0.1, stacked=True)
    opt_alone = make_optimizer("adam", [alone], 0.1, stacked=True)
    before = w.detach().clone()
    for _ in range(3):
        g = torch.randn(3, 4)
        g[2] = float("nan")                       # member 2 diverged
        w.grad, alone.grad = g.clone(), g[1:2].clone()
        opt.step(torch.tensor([False, True, False]))
        opt_alone.step()
    assert torch.equal(w.detach()[0], before[0]) and torch.equal(w.detach()[2], before[2])
    assert torch.equal(w.detach()[1:2], alone.detach())
    assert torch.isfinite(opt.state[0]["exp_avg"]).all()


def test_training_path_does_not_import_dynamo():
    code = ("import sys, torch\n"
            "from rnnbench.models.seq import ModelSpec, build_model\n"
            "from rnnbench.training.loop import fit\n"
            "from rnnbench.training.types import TaskData\n"
            "import numpy as np\n"
            "x = np.random.default_rng(0).normal(size=(16, 5, 3)).astype(np.float32); y = (x[:, 0, 0] > 0).astype(np.int64)\n"
            "d = TaskData('t', 'classification', x, y, x, y, x, y, n_outputs=2)\n"
            "m = build_model(ModelSpec(cell='lstm', input_size=3, hidden=4, output_size=2, kernel='torch'))\n"
            "fit(m, d, dict(epochs=1, batch_size=8, lr=0.01, optimizer='adam', seed=0), torch.device('cpu'), log=lambda s: None)\n"
            "print('torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
