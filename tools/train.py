"""Train a model: MMPretrain's ``tools/train.py``, with vpl_mm registered.

Same command line as MMPretrain's (``--work-dir --resume --amp --no-validate
--auto-scale-lr --cfg-options --launcher``), plus ``--tensorboard`` (also log
to TensorBoard event files in ``<work_dir>/<timestamp>/vis_data/``; needs
``pip install -e .[tensorboard]``). Also works without a GPU: the gloo
backend for ``--launcher pytorch``, bf16 autocast for ``--amp``. The console
script ``vpl-train`` of an installed wheel is the same.
"""
from vpl_mm.cli import train

if __name__ == '__main__':
    train()
