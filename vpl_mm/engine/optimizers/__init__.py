from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .skip_nonfinite_optim_wrapper import SkipNonFiniteOptimWrapper

__all__ = ['CPUAmpOptimWrapper', 'SkipNonFiniteOptimWrapper']
