"""MMPretrain's ``tools/analysis_tools/get_flops.py``, per branch of a pair
(:func:`vpl_mm.cli.flops`): each branch's parameters and FLOPs, as its solo
config gives them, and which branch is deployed, e.g.::

    python tools/analysis/get_flops.py configs/demo/vpl_tiny_digits.py \\
        --shape 32
"""
from vpl_mm.cli import flops

if __name__ == '__main__':
    flops()
