from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .nonfinite_optim_wrapper import NonFiniteOptimWrapper, iteration_text

__all__ = ['CPUAmpOptimWrapper', 'NonFiniteOptimWrapper', 'iteration_text']
