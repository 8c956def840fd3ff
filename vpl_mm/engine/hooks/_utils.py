"""Helpers shared by the hooks."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def bare_model(runner) -> nn.Module:
    """``runner.model`` without its DDP / model wrapper."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model
