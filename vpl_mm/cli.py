"""The command-line tools, also as console scripts of an installed wheel.

``vpl-train`` / ``vpl-test`` are ``tools/train.py`` / ``tools/test.py``
(MMPretrain's own tools with vpl_mm in place, same command line) and
``vpl-extract`` is ``tools/extract_branch.py``, for a user who has the wheel
and no checkout.
"""
import argparse
import sys

from .utils import InputError, run_mmpretrain_tool


def train() -> None:
    """``vpl-train CONFIG [MMPretrain train.py options] [--tensorboard]``"""
    run_mmpretrain_tool('train')


def test() -> None:
    """``vpl-test CONFIG CHECKPOINT [MMPretrain test.py options]
    [--partial-load]``"""
    run_mmpretrain_tool('test')


def extract(argv=None) -> None:
    """``vpl-extract CONFIG CHECKPOINT --branch cnn|trans --out-dir DIR
    [--no-ema]``: writes ``DIR/<branch>.py`` (a stock ``ImageClassifier``
    config with its data preprocessor, test pipeline, dataloaders and
    evaluator; nothing from vpl_mm) and ``DIR/<branch>.pth`` (tensors and a
    plain ``meta`` dict; the EMA weights when the checkpoint has them,
    unless ``--no-ema``). Load them with stock MMPretrain:
    ``mmpretrain.get_model('DIR/cnn.py', pretrained='DIR/cnn.pth')``."""
    from .export import ExtractError, extract_branch
    parser = argparse.ArgumentParser(
        description='Export one branch of a trained pair as a stock '
        'MMPretrain classifier.')
    parser.add_argument('config', help='the pair\'s config file')
    parser.add_argument('checkpoint', help='a checkpoint of that pair')
    parser.add_argument(
        '--branch', required=True, help='the branch to export: cnn or trans')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--no-ema',
        action='store_true',
        help='export the raw weights, not the EMA ones')
    args = parser.parse_args(argv)
    try:
        cfg_path, ckpt_path = extract_branch(
            args.config,
            args.checkpoint,
            args.branch,
            args.out_dir,
            use_ema=not args.no_ema)
    except (ExtractError, InputError) as e:
        sys.exit(f'extract_branch: error: {e}')
    print(f'wrote {cfg_path} and {ckpt_path}')
