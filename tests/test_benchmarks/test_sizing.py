"""benchmarks.sizing on the demo pair: its FLOPs are get_flops.py's counter
plus the ViT's attention products, and its saved activations are per
image (the same at batch 2 and 4)."""
import torch

from benchmarks import sizing
from benchmarks.speed import build

DEMO = 'configs/demo/vpl_tiny_digits.py'


def test_flops_are_the_counter_plus_attention():
    from mmengine.analysis import get_model_complexity_info
    model, _ = build(DEMO, 'cpu')
    flops = sizing.branch_flops(model, 32)
    cnn = model.branch('cnn').eval()
    cnn.forward = cnn.extract_feat
    assert flops['cnn']['macs'] == get_model_complexity_info(
        cnn, (3, 32, 32))['flops']
    # the demo ViT: 4 layers, width 96, (32 / 4)^2 patches + the class token
    trans = model.branch('trans').eval()
    trans.forward = trans.extract_feat
    counted = get_model_complexity_info(trans, (3, 32, 32))['flops']
    assert flops['trans']['macs'] == counted + 2 * 4 * 65**2 * 96
    assert flops['trans']['params'] == sum(p.numel()
                                           for p in model.trans.parameters())


def test_saved_activations_are_per_image():
    torch.manual_seed(0)
    model, _ = build(DEMO, 'cpu')
    two = sizing.saved_bytes_per_image(model, 32, 2)
    four = sizing.saved_bytes_per_image(model, 32, 4)
    assert two > 0 and abs(four - two) / two < 0.05
