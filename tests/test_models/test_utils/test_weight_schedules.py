import math

import numpy as np
import pytest
from mmengine.logging import MessageHub

from vpl_mm.models.utils import (LinearDecayWeight, SigmoidRampUpWeight,
                                 set_training_progress)
from vpl_mm.models.utils.weight_schedules import training_progress


def mean_teacher_sigmoid_rampup(current, rampup_length):
    """Tarvainen & Valpola's ``ramps.sigmoid_rampup`` (mean-teacher
    repository, pytorch/mean_teacher/ramps.py), as published."""
    if rampup_length == 0:
        return 1.0
    current = np.clip(current, 0.0, rampup_length)
    phase = 1.0 - current / rampup_length
    return float(np.exp(-5.0 * phase * phase))


@pytest.mark.parametrize('progress', [0, 0.05, 0.1, 0.2, 0.29, 0.3, 0.7, 1])
def test_sigmoid_ramp_up_is_mean_teachers(progress):
    # the ramp over the first 30 % of 1000 iterations, by iteration
    it = round(progress * 1000)
    assert SigmoidRampUpWeight(end=0.3)(it / 1000) == pytest.approx(
        mean_teacher_sigmoid_rampup(it, 300), rel=1e-12)


def test_sigmoid_ramp_up_span():
    ramp = SigmoidRampUpWeight(begin=0.2, end=0.6)
    assert ramp(0.0) == ramp(0.2) == pytest.approx(math.exp(-5))
    assert ramp(0.4) == pytest.approx(math.exp(-5 * 0.25))
    assert ramp(0.6) == ramp(1.0) == 1.0


def test_linear_decay():
    decay = LinearDecayWeight()
    assert [decay(p) for p in (0, 0.25, 1)] == [1.0, 0.75, 0.0]
    decay = LinearDecayWeight(begin=0.5, end=1.0, start=2.0, stop=1.0)
    assert [decay(p) for p in (0, 0.5, 0.75, 1)] == [2.0, 2.0, 1.5, 1.0]


@pytest.mark.parametrize('cls', [LinearDecayWeight, SigmoidRampUpWeight])
@pytest.mark.parametrize('begin,end', [(0.5, 0.5), (-0.1, 0.5), (0, 1.5)])
def test_bad_spans(cls, begin, end):
    with pytest.raises(ValueError, match='0 <= begin < end <= 1'):
        cls(begin=begin, end=end)


def test_progress_is_the_runners_iteration():
    hub = MessageHub.get_instance('test_progress')
    hub.update_info('iter', 30)
    hub.update_info('max_iters', 120)
    assert training_progress('x') == 0.25
    set_training_progress(90, 120)  # the writer of what it reads
    assert (hub.get_info('iter'), hub.get_info('max_iters')) == (90, 120)
    assert training_progress('x') == 0.75
    hub = MessageHub.get_instance('test_progress_none')
    with pytest.raises(RuntimeError, match='x: a weight schedule follows'):
        training_progress('x')
