from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .nonfinite_optim_wrapper import NonFiniteOptimWrapper

__all__ = ['CPUAmpOptimWrapper', 'NonFiniteOptimWrapper']
