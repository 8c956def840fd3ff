from .branches import BRANCHES
from .gather import all_gather_with_grad
from .partner_ema import PartnerEMA
from .recorder import LayerRecorder
from .warmup_ema import WarmupEMA
from .weight_schedules import (LinearDecayWeight, SigmoidRampUpWeight,
                               set_training_progress)

__all__ = [
    'BRANCHES', 'LayerRecorder', 'LinearDecayWeight', 'PartnerEMA',
    'SigmoidRampUpWeight', 'WarmupEMA', 'all_gather_with_grad',
    'set_training_progress'
]
