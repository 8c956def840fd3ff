"""Train a model: MMPretrain's ``tools/train.py``, with vpl_mm registered.

Same command line as MMPretrain's (``--work-dir --resume --amp --no-validate
--auto-scale-lr --cfg-options --launcher``), plus ``--tensorboard`` (also log
to TensorBoard event files in ``<work_dir>/<timestamp>/vis_data/``; needs
``pip install -e .[tensorboard]``). Also works without a GPU: the gloo
backend for ``--launcher pytorch``, bf16 autocast for ``--amp``.
"""
import vpl_mm  # noqa: F401  (registers the VPL components)
from vpl_mm.utils import run_mmpretrain_tool

if __name__ == '__main__':
    run_mmpretrain_tool('train')
