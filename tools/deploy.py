"""Take an extracted branch through MMDeploy to ONNX and check it.

Usage::

    python tools/deploy.py DEPLOY_CFG MODEL_CFG CHECKPOINT --work-dir DIR \\
        [--img IMG | --img-size 224] [--atol 1e-4]

``MODEL_CFG``/``CHECKPOINT`` come from ``tools/extract_branch.py``;
``DEPLOY_CFG`` is one of ``configs/deploy/``. Writes ``DIR/end2end.onnx`` and
MMDeploy's SDK meta (``pipeline.json``, ``deploy.json``, ``detail.json``), runs
the ONNX model with onnxruntime and PyTorch on the same input and prints the
max difference; exits with 1 when it is above ``--atol``. MMDeploy 1.3.1 is
run with the TorchScript ONNX exporter (torch >= 2.9 defaults to dynamo).
"""
import argparse
import sys

from vpl_mm.export.onnx import deploy_onnx
from vpl_mm.utils import InputError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('deploy_cfg', help='MMDeploy deploy config')
    parser.add_argument('model_cfg', help='config of an extracted branch')
    parser.add_argument('checkpoint', help='checkpoint of that branch')
    parser.add_argument('--work-dir', required=True, help='output folder')
    parser.add_argument('--img', help='example image (default: random)')
    parser.add_argument(
        '--img-size',
        type=int,
        default=224,
        help='side of the random example image')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='largest accepted |onnxruntime - PyTorch|')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        result = deploy_onnx(
            args.deploy_cfg,
            args.model_cfg,
            args.checkpoint,
            args.work_dir,
            img=args.img,
            img_size=args.img_size,
            device=args.device)
    except InputError as e:
        sys.exit(f'deploy: error: {e}')
    print(f"onnx: {result['onnx']}")
    print(f"max |onnxruntime - pytorch| = {result['max_diff']:.3g} "
          f"(batch sizes {result['batches']})")
    if result['max_diff'] > args.atol:
        sys.exit(f"the ONNX model differs from PyTorch by more than "
                 f"{args.atol}")


if __name__ == '__main__':
    main()
