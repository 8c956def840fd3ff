from contextlib import contextmanager

import torch
from mmpretrain.registry import OPTIM_WRAPPERS

from .nonfinite_optim_wrapper import NonFiniteOptimWrapper


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(NonFiniteOptimWrapper):
    """Mixed precision on CPU: bf16 autocast around the forward pass.

    MMEngine's ``AmpOptimWrapper`` needs a GPU. bf16 keeps fp32's exponent
    range, so no loss scaling is needed. ``tools/train.py --amp`` picks this
    wrapper on machines without CUDA. The PLM losses still run in fp32. As
    the fp16 loss scaler on GPU does, it skips updates whose gradients are
    not finite by default (see :class:`NonFiniteOptimWrapper`).

    Args:
        dtype (str): Autocast dtype, ``'bfloat16'`` (default) or
            ``'float16'``.
        nonfinite (str): ``'skip'`` (default, as ``AmpOptimWrapper``) or
            ``'stop'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 dtype: str = 'bfloat16',
                 nonfinite: str = 'skip',
                 **kwargs) -> None:
        super().__init__(nonfinite=nonfinite, **kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
