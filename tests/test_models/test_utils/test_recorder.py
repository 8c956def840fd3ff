import copy

import pytest
import torch
import torch.nn as nn

from vpl_mm.models.utils import LayerRecorder


def model():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def test_records_named_outputs_only_inside():
    net = model()
    recorder = LayerRecorder(['0', '2'])
    x = torch.randn(5, 4)
    with recorder.record(net) as outputs:
        assert outputs == [None, None]
        y = net(x)
    torch.testing.assert_close(outputs[0], net[0](x))
    assert outputs[1] is y
    # no hook is left behind: a forward outside records nothing
    assert not any(m._forward_hooks for m in net.modules())
    net(torch.randn(5, 4))
    assert outputs[1] is y


def test_a_copy_records_only_when_recorded_itself():
    net = model()
    clone = copy.deepcopy(net)  # e.g. an EMA of it, made at build time
    with LayerRecorder(['2']).record(net) as outputs:
        clone(torch.randn(2, 4))
    assert outputs == [None]


def test_tuple_outputs_keep_the_first():

    class Pair(nn.Module):

        def forward(self, x):
            return x + 1, x - 1

    net = nn.Sequential(Pair())
    with LayerRecorder(['0']).record(net) as outputs:
        net[0](torch.zeros(1))
    assert outputs[0].item() == 1


def test_unknown_path():
    with pytest.raises(ValueError, match="branch `x` has no module '9'"):
        LayerRecorder(['9']).modules(model(), 'Owner', 'branch `x`')
