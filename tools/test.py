"""Test a checkpoint: MMPretrain's ``tools/test.py``, with vpl_mm registered.

Same command line as MMPretrain's (``CONFIG CHECKPOINT --work-dir --out
--out-item --cfg-options --amp --tta --launcher``), plus ``--partial-load``
(score a checkpoint that fits the model only in part; by default such a
checkpoint is refused). The console script ``vpl-test`` of an installed wheel
is the same.
"""
from vpl_mm.cli import test

if __name__ == '__main__':
    test()
