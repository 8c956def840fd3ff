"""The command-line tools, also as console scripts of an installed wheel.

``vpl-train`` / ``vpl-test`` are ``tools/train.py`` / ``tools/test.py``
(MMPretrain's own tools with vpl_mm in place, same command line),
``vpl-extract`` is ``tools/extract_branch.py`` and ``vpl-data`` writes the
datasets that need no download (``tools/dataset_converters/prepare_*.py``),
for a user who has the wheel and no checkout.
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


def data(argv=None) -> None:
    """``vpl-data digits [--out-dir data/digits] [--size 32] [--classes C
    ...] [--per-class N]`` writes scikit-learn's real handwritten digits as
    an ImageNet-style folder (:func:`vpl_mm.datasets.prepare_digits`);
    ``vpl-data fashion_mnist [--src DIR] [--out data/fashion_mnist]``
    decompresses Debian's real Fashion-MNIST for MMPretrain's
    ``FashionMNIST`` (:func:`vpl_mm.datasets.prepare_fashion_mnist`)."""
    from .datasets import fashion_mnist, prepare_digits, prepare_fashion_mnist
    parser = argparse.ArgumentParser(
        prog='vpl-data',
        description='Write a real dataset that needs no download.')
    sub = parser.add_subparsers(dest='dataset', required=True)
    digits = sub.add_parser(
        'digits',
        help='scikit-learn\'s handwritten digits as class folders (fixed '
        'stratified 80/20 train/val split)')
    digits.add_argument(
        '--out-dir', default='data/digits', help='where to write them')
    digits.add_argument(
        '--size', type=int, default=32, help='image side in pixels')
    digits.add_argument(
        '--classes',
        type=int,
        nargs='+',
        help='only these digits (default: all 10)')
    digits.add_argument(
        '--per-class',
        type=int,
        help='only the first N images of each class in each split')
    fmnist = sub.add_parser(
        'fashion_mnist',
        help='the official Fashion-MNIST files, checked and decompressed')
    fmnist.add_argument(
        '--src',
        default=fashion_mnist.DEBIAN_DIR,
        help='folder of the four official *-ubyte.gz files (default: the '
        'Debian package dataset-fashion-mnist\'s)')
    fmnist.add_argument(
        '--out', default='data/fashion_mnist', help='where to write them')
    args = parser.parse_args(argv)
    try:
        if args.dataset == 'digits':
            counts = prepare_digits(args.out_dir, args.size, args.classes,
                                    args.per_class)
            print(f'digits: wrote {counts} images of {args.size}x'
                  f'{args.size} px to {args.out_dir}')
        else:
            counts = prepare_fashion_mnist(args.src, args.out)
            print(f'fashion_mnist: wrote {counts} images (28x28) to '
                  f'{args.out}')
    except ValueError as e:  # (DatasetFileError is one)
        sys.exit(f'vpl-data {args.dataset}: error: {e}')


def flops(argv=None) -> None:
    """``python tools/analysis/get_flops.py CONFIG [--shape 224]``:
    MMPretrain's ``get_flops.py`` per branch of a pair.

    For a pair (:class:`TwoBranchClassifier`) the stock tool is run on each
    branch (the stock ``ImageClassifier`` that is exported and deployed), so
    each branch's parameters and FLOPs read as its solo config's would; then
    a summary names the branch ``pred_branch`` deploys by default and the
    parameters only training has (the PLM's). Any other model: the stock
    tool as it is.
    """
    from mmpretrain import get_model

    from .models.classifiers.two_branch_classifier import TwoBranchClassifier
    from .models.utils.branches import BRANCHES
    from .utils import load_mmpretrain_tool
    tool = load_mmpretrain_tool('analysis_tools/get_flops')
    if argv is not None:
        sys.argv[1:] = argv
    config = tool.parse_args().config
    model = get_model(config)
    if not isinstance(model, TwoBranchClassifier):
        tool.main()
        return
    stock_info, results = tool.get_model_complexity_info, {}
    for name in BRANCHES:
        print(f'\n{"#" * 30}\nbranch {name}:', flush=True)
        # main() builds the model and counts it: give it the branch, keep
        # what it counted (canary: test_upstream_contract)
        tool.get_model = lambda cfg, branch=model.branch(name): branch
        tool.get_model_complexity_info = lambda *a, name=name, **k: \
            results.setdefault(name, stock_info(*a, **k))
        tool.main()
    print(f'\n{"#" * 30}\n{type(model).__name__} {config}')
    for name in BRANCHES:
        deployed = ' (pred_branch: deployed by default)' \
            if name == getattr(model, 'pred_branch', None) else ''
        print(f'branch {name}: Params: {results[name]["params_str"]}, '
              f'Flops: {results[name]["flops_str"]}{deployed}')
    pair = sum(p.numel() for p in model.parameters())
    branches = sum(p.numel() for name in BRANCHES
                   for p in model.branch(name).parameters())
    print(f'training only (the pair\'s other modules, e.g. the PLM\'s '
          f'connectors): {pair - branches} params; the pair: {pair} params')
