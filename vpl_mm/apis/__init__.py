"""Run our tools from Python (what the main job and the benchmarks share)."""
from .runs import tool_env, train_in_subprocess

__all__ = ['tool_env', 'train_in_subprocess']
