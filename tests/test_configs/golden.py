"""Golden losses of the shipped configs: what a short, deterministic run of
each config logs as its total loss at every iteration.

Issue 27 ("one table of terms") rewrote the Pair Learning Module; its
configs had to keep their behaviour. The values in ``golden_losses.json``
were recorded with the code before that rewrite (commit ``86ff18f``) by::

    git worktree add /tmp/base 86ff18f
    python tools/dataset_converters/prepare_digits.py --out-dir /tmp/d/digits
    python tools/dataset_converters/prepare_fashion_mnist.py \\
        --out /tmp/d/fashion_mnist
    PYTHONPATH=/tmp/base python tests/test_configs/golden.py \\
        --root /tmp/base --data /tmp/d --teacher-key \\
        model.teacher_checkpoint --out tests/test_configs/golden_losses.json \\
        --head-out tests/test_configs/golden_heads.pth

A run: the config as shipped, seed 0, ``randomness.deterministic=True``,
the first 256 training images, 5 epochs (4 iterations each), no
validation; the 5 epochs cross both eq. 7 stage boundaries of x = y = 20
(epoch 1 CL only, 2-4 both, 5 KL only). A distillation config's teacher is
its folder's solo CNN after the same run. ``test_golden.py`` runs the same
code on today's package and compares, resumed runs against the
uninterrupted golden ones.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional

ITERS, EPOCHS = 4, 5
TRAIN_SIZE = 64 * ITERS
THREADS = 2  # torch threads of every golden run
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# configs whose head has parameters: their final pair_head weights are kept
# (old key names) to check that old checkpoints load
HEAD_CONFIGS = ('configs/fashion_mnist/vpl_tiny_fmnist_oneway.py',
                'configs/fashion_mnist/vpl_tiny_fmnist_mlp.py')

# the teacher of a folder's distillation configs
TEACHERS = dict(
    demo='configs/demo/solo_cnn_tiny_digits.py',
    fashion_mnist='configs/fashion_mnist/solo_cnn_tiny_fmnist.py')


def data_roots(data: str) -> Dict[str, str]:
    """Each config folder's dataset under ``data`` (``digits``,
    ``fashion_mnist``, as ``tools/dataset_converters`` write them)."""
    return dict(
        demo=osp.join(data, 'digits'),
        fashion_mnist=osp.join(data, 'fashion_mnist'))


def golden_configs(root: str) -> List[str]:
    """Every config under ``configs/demo`` and ``configs/fashion_mnist``
    (relative to ``root``), solo CNNs first (they are the teachers)."""
    found = [
        osp.relpath(p, root) for folder in ('demo', 'fashion_mnist')
        for p in sorted(glob.glob(osp.join(root, 'configs', folder, '*.py')))
    ]
    # FSDP needs a process group: the distributed tests cover it
    found = [c for c in found if not c.endswith('_fsdp.py')]
    return sorted(found, key=lambda c: 'solo_cnn' not in c)


def run(config: str,
        root: str,
        data_root: str,
        work_dir: str,
        options: Optional[dict] = None,
        resume_from: Optional[str] = None) -> List[float]:
    """Train ``config`` (relative to ``root``) as described above; the total
    loss of every iteration it runs."""
    import torch
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    cfg = Config.fromfile(osp.join(root, config))
    index = next(i for i, s in enumerate(cfg.param_scheduler)
                 if s['type'] == 'CosineAnnealingLR')
    cfg.merge_from_dict({
        'work_dir': work_dir,
        'randomness.seed': 0,
        'randomness.deterministic': True,
        'train_cfg.max_epochs': EPOCHS,
        'train_cfg.val_interval': EPOCHS + 1,
        f'param_scheduler.{index}.end': EPOCHS,
        'train_dataloader.dataset.indices': TRAIN_SIZE,
        'train_dataloader.dataset.data_root': data_root,
        'default_hooks.checkpoint.max_keep_ckpts': EPOCHS,
        'default_hooks.logger.interval': 1,
        'log_level': 'WARNING',
        **(options or {})
    })
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    losses = []

    class Record(Hook):

        def after_train_iter(self, runner, batch_idx, data_batch, outputs):
            losses.append(outputs['loss'].item())

    runner.register_hook(Record(), priority='LOWEST')
    # recorded with 2 threads (the default on the 2-core machine); a CPU
    # matmul's sums, and so the losses' last digits, depend on the count
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return losses


def teacher_of(config: str, checkpoints: Dict[str, str]) -> Optional[str]:
    """The final checkpoint of the folder's solo CNN, for a distillation
    config (``dis_*``); else None."""
    if not osp.basename(config).startswith('dis_'):
        return None
    return checkpoints[TEACHERS[config.split('/')[1]]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default='.', help='the checkout to run')
    parser.add_argument('--out', required=True, help='JSON to write')
    parser.add_argument('--configs', nargs='+', default=None)
    parser.add_argument(
        '--teacher-key',
        default='model.pair_head.teacher_checkpoint',
        help='the config key of a distillation config\'s teacher checkpoint')
    parser.add_argument(
        '--head-out',
        default=None,
        help='also save HEAD_CONFIGS\' final pair_head weights here')
    parser.add_argument(
        '--data', required=True, help='the datasets\' folder (data_roots)')
    args = parser.parse_args(argv)
    import torch
    sys.path.insert(0, osp.abspath(args.root))
    from mmengine.registry import init_default_scope

    import vpl_mm  # noqa: F401  (registers the components)
    init_default_scope('mmpretrain')
    tmp = tempfile.mkdtemp(prefix='golden_')
    roots = data_roots(args.data)
    configs = args.configs or golden_configs(args.root)
    records, checkpoints, heads = {}, {}, {}
    for config in configs:
        work_dir = osp.join(tmp, osp.splitext(config)[0])
        teacher = teacher_of(config, checkpoints)
        options = {args.teacher_key: teacher} if teacher else {}
        losses = run(config, args.root, roots[config.split('/')[1]], work_dir,
                     options)
        checkpoints[config] = osp.join(work_dir, f'epoch_{EPOCHS}.pth')
        records[config] = losses
        print(config, len(losses), losses[0], losses[-1], flush=True)
        if config in HEAD_CONFIGS and args.head_out:
            state = torch.load(
                checkpoints[config], map_location='cpu',
                weights_only=False)['state_dict']
            heads[config] = {
                k: v
                for k, v in state.items() if k.startswith('pair_head.')
            }
    with open(args.out, 'w') as f:
        json.dump(
            dict(
                epochs=EPOCHS,
                iters_per_epoch=ITERS,
                train_size=TRAIN_SIZE,
                losses=records),
            f,
            indent=1)
    if args.head_out:
        torch.save(heads, args.head_out)
    print('wrote', args.out, os.linesep.join(configs))


if __name__ == '__main__':
    main()
