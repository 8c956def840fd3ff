"""End to end: the demo pair through tools/train.py, test.py, --resume,
--amp, dist_train.sh and MMPretrain's own stock train.py."""
import glob
import json
import os
import os.path as osp
import sys

import pytest
import torch
from _utils import (PAIR_CONFIG, ROOT, data_options, free_port, python, run,
                    scalars)

import vpl_mm  # noqa: F401

EPOCHS = 5  # x = y = 20: epoch 1 CL only, 2-4 both, 5 KL only


def schedule_options(epochs=EPOCHS):
    options = [
        f'train_cfg.max_epochs={epochs}', 'default_hooks.logger.interval=5',
        'default_hooks.checkpoint.max_keep_ckpts=-1'
    ]
    if epochs > 1:  # the cosine phase starts after the warm-up epoch
        options.append(f'param_scheduler.1.end={epochs}')
    return options


def terms_by_epoch(records):
    """{epoch: set of PLM terms logged in that epoch's train records}."""
    terms = {}
    for r in records:
        if 'loss' in r and 'epoch' in r:
            terms.setdefault(r['epoch'], set()).update(
                k for k in ('loss_cl', 'loss_kl') if k in r)
    return terms


def val_records(records):
    return [r for r in records if 'trans/accuracy/top1' in r]


@pytest.fixture(scope='module')
def pair_run(digits_root, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('pair'))
    log = python('tools/train.py', PAIR_CONFIG, '--work-dir', work_dir,
                 '--cfg-options', *data_options(digits_root),
                 *schedule_options(), 'train_dataloader.dataset.indices=512')
    return work_dir, log


def test_train_runs_the_three_stages(pair_run):
    work_dir, log = pair_run
    assert 'epoch 1/5: stage "CL only"' in log
    assert 'epoch 2/5: stage "CL + KL"' in log
    assert 'epoch 5/5: stage "KL only"' in log
    records = scalars(work_dir)
    assert terms_by_epoch(records) == {
        1: {'loss_cl'},
        2: {'loss_cl', 'loss_kl'},
        3: {'loss_cl', 'loss_kl'},
        4: {'loss_cl', 'loss_kl'},
        5: {'loss_kl'}
    }
    vals = val_records(records)
    assert len(vals) == EPOCHS
    for key in ('cnn/accuracy/top1', 'cnn/accuracy/top5',
                'trans/accuracy/top1', 'trans/accuracy/top5'):
        assert key in vals[-1]
    # the pair learns on the real digits (10 classes: chance is 10%; 31.7%
    # measured after 5 epochs on these 512 images)
    assert vals[-1]['cnn/accuracy/top1'] > 20


def test_test_tool_reproduces_last_validation(pair_run, digits_root, tmp_path):
    work_dir, _ = pair_run
    out = str(tmp_path / 'metrics.json')
    python('tools/test.py', PAIR_CONFIG, osp.join(work_dir,
                                                  'epoch_5.pth'), '--work-dir',
           str(tmp_path), '--out', out, '--out-item', 'metrics',
           '--cfg-options', *data_options(digits_root))
    with open(out) as f:
        metrics = json.load(f)
    last_val = val_records(scalars(work_dir))[-1]
    for key in ('cnn/accuracy/top1', 'trans/accuracy/top1',
                'trans/accuracy/top5'):
        assert metrics[key] == pytest.approx(last_val[key], abs=1e-3)


def test_dist_test_two_processes_matches_single(pair_run, digits_root,
                                                tmp_path):
    work_dir, _ = pair_run
    out = str(tmp_path / 'metrics.json')
    run([
        'bash',
        osp.join(ROOT, 'tools/dist_test.sh'), PAIR_CONFIG,
        osp.join(work_dir, 'epoch_5.pth'), '2', '--work-dir',
        str(tmp_path), '--out', out, '--out-item', 'metrics', '--cfg-options',
        *data_options(digits_root)
    ],
        env=dict(PORT=str(free_port())))
    with open(out) as f:
        metrics = json.load(f)
    # both ranks' predictions are gathered: the same as one process on all
    last_val = val_records(scalars(work_dir))[-1]
    for key in ('cnn/accuracy/top1', 'trans/accuracy/top1'):
        assert metrics[key] == pytest.approx(last_val[key], abs=1e-3)


def test_resume_lands_in_the_right_stage(pair_run, digits_root, tmp_path):
    work_dir, _ = pair_run
    log = python('tools/train.py', PAIR_CONFIG,
                 '--work-dir', str(tmp_path), '--resume',
                 osp.join(work_dir, 'epoch_3.pth'), '--cfg-options',
                 *data_options(digits_root), *schedule_options())
    assert 'resumed epoch: 3' in log
    assert 'epoch 5/5: stage "KL only"' in log
    assert terms_by_epoch(scalars(str(tmp_path))) == {
        4: {'loss_cl', 'loss_kl'},
        5: {'loss_kl'}
    }
    assert osp.exists(tmp_path / 'epoch_5.pth')


def test_checkpoint_loads_safely(pair_run):
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    work_dir, _ = pair_run
    path = osp.join(work_dir, 'epoch_5.pth')
    ckpt = torch.load(path)  # weights_only=True
    assert ckpt['meta']['epoch'] == 5
    model = MODELS.build(Config.fromfile(PAIR_CONFIG).model)
    load_checkpoint(model, path, strict=True)
    torch.testing.assert_close(model.state_dict(), ckpt['state_dict'])


def test_amp_on_cpu(digits_root, tmp_path):
    log = python('tools/train.py', PAIR_CONFIG, '--amp', '--work-dir',
                 str(tmp_path), '--cfg-options', *data_options(digits_root),
                 *schedule_options(1), 'train_dataloader.dataset.indices=64')
    assert 'CPUAmpOptimWrapper' in log
    assert osp.exists(tmp_path / 'epoch_1.pth')


def test_tensorboard_switch_writes_event_files(digits_root, tmp_path):
    python('tools/train.py', PAIR_CONFIG, '--tensorboard', '--work-dir',
           str(tmp_path), '--cfg-options', *data_options(digits_root),
           *schedule_options(1), 'train_dataloader.dataset.indices=128')
    events = glob.glob(str(tmp_path / '*' / 'vis_data' / 'events.out.*'))
    assert len(events) == 1
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    tags = EventAccumulator(events[0]).Reload().Tags()['scalars']
    assert {'loss', 'trans/accuracy/top1', 'cnn/accuracy/top1'} <= set(tags)
    # MMEngine's own scalars.json is still written
    assert glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))


def dist_train(config, tmp_path, digits_root, epochs, images, *options):
    """2-process dist_train.sh; every rank saves its parameters after each
    epoch (tests/test_tools/_rank_probe.py). Returns the log."""
    probe = tmp_path / 'probe'
    probe.mkdir()
    wrapped = tmp_path / 'with_probe.py'
    wrapped.write_text('\n'.join([
        f'_base_ = [{config!r}]',
        "custom_imports = dict(imports=['vpl_mm', '_rank_probe'], "
        'allow_failed_imports=False)',
        f'custom_hooks = _base_.custom_hooks + [dict(type="RankParamsProbe", '
        f'out_dir={str(probe)!r})]',
    ]))
    log = run([
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'),
        str(wrapped), '2', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *data_options(digits_root),
        *schedule_options(epochs),
        f'train_dataloader.dataset.indices={images}', *options
    ],
              env=dict(
                  PORT=str(free_port()),
                  PYTHONPATH=os.pathsep.join([ROOT,
                                              osp.dirname(__file__)])))
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    for epoch in range(1, epochs + 1):  # the ranks stay identical
        ranks = [
            torch.load(probe / f'rank{r}_epoch{epoch}.pth') for r in range(2)
        ]
        assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    return log


def test_dist_train_two_processes_on_gloo(digits_root, tmp_path):
    # "Bi" (Table 7): both PLM terms reach both branches; global negatives
    # on: each rank's anchors meet both ranks' embeddings
    log = dist_train(PAIR_CONFIG, tmp_path, digits_root, 3, 512,
                     'model.pair_head.terms.cl.loss.gather=True',
                     'model.pair_head.terms.cl.bidirectional=True',
                     'model.pair_head.terms.kl.bidirectional=True',
                     'custom_hooks.0.x=33.4', 'custom_hooks.0.y=33.4')
    # every stage ran under DDP, including the KL-only one in which the
    # projection is not used by any loss
    for stage in ('epoch 1/3: stage "CL only"', 'epoch 2/3: stage "CL + KL"',
                  'epoch 3/3: stage "KL only"'):
        assert stage in log
    assert osp.exists(tmp_path / 'work/epoch_3.pth')
    records = scalars(str(tmp_path / 'work'))
    assert len(val_records(records)) == 3
    # the sampler shards the 512 images: 256 per rank, 4 batches of 64
    assert max(r['iter'] for r in records if 'iter' in r) == 4 * 3


def test_stock_mmpretrain_train_runs_our_config(digits_root, tmp_path):
    # custom_imports in the config registers vpl_mm in MMPretrain's own tool
    import mmpretrain
    stock = osp.join(osp.dirname(mmpretrain.__file__), '.mim/tools/train.py')
    run([
        sys.executable, stock, PAIR_CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(digits_root),
        *schedule_options(1), 'train_dataloader.dataset.indices=256'
    ])
    assert osp.exists(tmp_path / 'epoch_1.pth')


def test_dml_trains_under_two_process_ddp(digits_root, tmp_path):
    # DMLClassifier's own train_step runs under
    # MMSeparateDistributedDataParallel (each branch its own DDP) on gloo
    config = osp.join(ROOT, 'configs/demo/dml_tiny_digits.py')
    dist_train(config, tmp_path, digits_root, 2, 256)
    records = scalars(str(tmp_path / 'work'))
    train = [r for r in records if 'loss_kl_trans' in r]
    assert train and all('loss_kl_cnn' in r for r in train)
    assert len(val_records(records)) == 2


def test_slurm_train_and_test_two_tasks(pair_run, digits_root, tmp_path):
    # srun and scontrol are stand-ins (tests/test_tools/fake_slurm) that
    # start the tasks here with the SLURM_* variables Slurm would set
    fake = osp.join(osp.dirname(__file__), 'fake_slurm')
    srun_log = tmp_path / 'srun.txt'

    def env():
        return dict(
            PATH=fake + os.pathsep + os.environ['PATH'],
            GPUS='2',
            GPUS_PER_NODE='2',
            PYTHON=sys.executable,
            MASTER_PORT=str(free_port()),
            FAKE_SRUN_LOG=str(srun_log))

    log = run([
        'bash',
        osp.join(ROOT, 'tools/slurm_train.sh'), 'gpu', 'vpl', PAIR_CONFIG,
        str(tmp_path / 'work'), '--cfg-options', *data_options(digits_root),
        *schedule_options(1), 'train_dataloader.dataset.indices=256'
    ],
              env=env())
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert osp.exists(tmp_path / 'work/epoch_1.pth')
    srun = srun_log.read_text()
    assert srun.startswith('-p gpu --job-name=vpl --gres=gpu:2 --ntasks=2 '
                           '--ntasks-per-node=2 --cpus-per-task=5 '
                           '--kill-on-bad-exit=1 ')
    assert srun.rstrip().endswith('--launcher slurm')
    work_dir, _ = pair_run
    log = run([
        'bash',
        osp.join(ROOT, 'tools/slurm_test.sh'), 'gpu', 'vpl', PAIR_CONFIG,
        osp.join(work_dir, f'epoch_{EPOCHS}.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *data_options(digits_root)
    ],
              env=env())
    assert 'trans/accuracy/top1' in log
