"""Export one branch of a trained pair as a stock MMPretrain classifier.

Usage::

    python tools/extract_branch.py CONFIG CHECKPOINT --branch cnn|trans \\
        --out-dir DIR [--no-ema]

writes ``DIR/<branch>.py`` (a stock ``ImageClassifier`` config with its data
preprocessor, test pipeline, dataloaders and evaluator; nothing from vpl_mm)
and ``DIR/<branch>.pth`` (tensors and a plain ``meta`` dict; the EMA weights
when the checkpoint has them, unless ``--no-ema``). Load them with stock
MMPretrain: ``mmpretrain.get_model('DIR/cnn.py', pretrained='DIR/cnn.pth')``.
"""
import argparse
import sys

import vpl_mm  # noqa: F401  (registers the VPL components)
from vpl_mm.export import ExtractError, extract_branch
from vpl_mm.utils import InputError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the pair\'s config file')
    parser.add_argument('checkpoint', help='a checkpoint of that pair')
    parser.add_argument(
        '--branch', required=True, help='the branch to export: cnn or trans')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--no-ema',
        action='store_true',
        help='export the raw weights, not the EMA ones')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
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


if __name__ == '__main__':
    main()
