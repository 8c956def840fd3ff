"""Test a checkpoint: MMPretrain's ``tools/test.py``, with vpl_mm registered.

Same command line as MMPretrain's (``CONFIG CHECKPOINT --work-dir --out
--out-item --cfg-options --amp --tta --launcher``).
"""
import vpl_mm  # noqa: F401  (registers the VPL components)
from vpl_mm.utils import run_mmpretrain_tool

if __name__ == '__main__':
    run_mmpretrain_tool('test')
