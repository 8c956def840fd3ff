"""No number from a model that is not the one asked for: tools/test.py,
train.py (--resume, load_from) and extract_branch.py on crafted files and
config values, each ending with a one-line error that names the problem;
the same refusals through MMPretrain's own tools, ``mim test`` and
``Runner.from_cfg``, which build the Runner without our tools (the checks
come with our configs).

The tools run in this process (``run_mmpretrain_tool`` with ``sys.argv``
set, as ``tools/test.py`` does; MMPretrain's ``main()`` alike), one of each
in a subprocess for the real stderr."""
import copy
import os.path as osp
import subprocess
import sys

import pytest
import torch
from _utils import ROOT

import vpl_mm  # noqa: F401
from vpl_mm.utils import (CheckpointError, load_mmpretrain_tool,
                          run_mmpretrain_tool)


def run_tool(name, monkeypatch, *args):
    """Our tool's exit message (None: it finished)."""
    monkeypatch.setattr(sys, 'argv', [f'{name}.py', *map(str, args)])
    try:
        run_mmpretrain_tool(name)
    except SystemExit as e:
        return str(e.code)
    return None


def run_stock_tool(name, monkeypatch, *args):
    """MMPretrain's own tool, in this process: the error it stops with
    (None: it finished)."""
    monkeypatch.setattr(sys, 'argv', [f'{name}.py', *map(str, args)])
    try:
        load_mmpretrain_tool(name).main()
    except CheckpointError as e:
        return str(e)
    return None


@pytest.fixture(scope='module')
def pair_state(trained_pair):
    return torch.load(trained_pair[1])['state_dict']


def crafted(path, state):
    """Checkpoints of the pair's keys gone wrong, by name."""
    wrong_shape = dict(state)
    wrong_shape['cnn.head.fc.weight'] = torch.zeros(5, 64)
    missing = {k: v for k, v in state.items() if not k.startswith('trans.')}
    solo_cnn = {
        k[len('cnn.'):]: v
        for k, v in state.items() if k.startswith('cnn.')
    }
    all_nan = {
        k: torch.full_like(v, float('nan')) if v.is_floating_point() else v
        for k, v in state.items()
    }
    one_nan = dict(state)
    one_nan['cnn.head.fc.weight'] = state['cnn.head.fc.weight'].clone()
    one_nan['cnn.head.fc.weight'][3, 7] = float('nan')
    cases = dict(
        wrong_shape=(dict(state_dict=wrong_shape),
                     "wrong shape ['cnn.head.fc.weight']"),
        missing_keys=(dict(state_dict=missing),
                      "missing ['trans.backbone.cls_token'"),
        no_state_dict=(dict(meta={}, weights=state), 'holds no `state_dict`'),
        solo_cnn=(dict(state_dict=solo_cnn), "unexpected ['backbone."),
        all_nan=(dict(state_dict=all_nan), 'non-finite weights'),
        one_nan=(dict(state_dict=one_nan),
                 'non-finite weights (NaN or inf) in cnn.head.fc.weight'),
        tensor=(torch.zeros(3), 'holds a Tensor, not a checkpoint dict'),
    )
    files = {}
    for name, (obj, phrase) in cases.items():
        files[name] = (str(path / f'{name}.pth'), phrase)
        torch.save(obj, files[name][0])
    for name, data, phrase in (
        ('empty', b'', 'the file is empty'),
        ('text', b'lr = 0.1\n', 'not a PyTorch checkpoint'),
        ('random', bytes(range(256)) * 8, 'not a PyTorch checkpoint'),
    ):
        files[name] = (str(path / f'{name}.pth'), phrase)
        (path / f'{name}.pth').write_bytes(data)
    return files


@pytest.fixture(scope='module')
def files(pair_state, tmp_path_factory):
    return crafted(tmp_path_factory.mktemp('crafted'), pair_state)


# one case per way a checkpoint can be wrong (the loader's file kinds are
# all in tests/test_utils/test_checkpoint.py; 'random' and 'text' have a
# subprocess test of their own below)
TEST_CASES = [
    'wrong_shape', 'missing_keys', 'no_state_dict', 'solo_cnn', 'all_nan',
    'one_nan', 'tensor', 'empty'
]


@pytest.mark.parametrize('case', TEST_CASES)
def test_test_tool_refuses(case, files, trained_pair, tmp_path, monkeypatch):
    path, phrase = files[case]
    message = run_tool('test', monkeypatch, trained_pair[0], path,
                       '--work-dir', tmp_path)
    assert message is not None, 'test.py scored a checkpoint that is not ' \
        'the model'
    assert message.startswith('test: error: checkpoint ' + path), message
    assert phrase in message and '\n' not in message, message
    # MMPretrain's own test.py: the same refusal, word for word
    stock = run_stock_tool('test', monkeypatch, trained_pair[0], path,
                           '--work-dir', tmp_path)
    assert stock == message[len('test: error: '):]


def test_mim_test_refuses(files, trained_pair, tmp_path):
    # `mim test` runs MMPretrain's tools/test.py in a new process
    path, phrase = files['all_nan']
    proc = subprocess.run([
        'mim', 'test', 'mmpretrain', trained_pair[0], '--checkpoint', path,
        '--work-dir',
        str(tmp_path)
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          env=dict(__import__('os').environ, PYTHONPATH=ROOT))
    assert proc.returncode != 0
    assert f'CheckpointError: checkpoint {path}: {phrase}' in proc.stderr
    assert 'accuracy/top1' not in proc.stdout + proc.stderr


@pytest.mark.parametrize('case', ['solo_cnn', 'all_nan'])
def test_runner_from_cfg_refuses(case, files, trained_pair, tmp_path):
    # a user's script: no tool of ours, no tool of MMPretrain's
    from mmengine.config import Config
    from mmengine.runner import Runner
    path, phrase = files[case]
    cfg = Config.fromfile(trained_pair[0])
    cfg.work_dir, cfg.load_from = str(tmp_path), path
    with pytest.raises(CheckpointError, match=phrase.replace('[', r'\[')):
        Runner.from_cfg(cfg).test()


@pytest.mark.parametrize('case', ['solo_cnn', 'all_nan'])
def test_stock_train_load_from_refuses(case, files, trained_pair, tmp_path,
                                       monkeypatch):
    path, _ = files[case]
    phrase = ('does not fit PairClassifier: none of its'
              if case == 'solo_cnn' else 'non-finite weights')
    message = run_stock_tool('train', monkeypatch, trained_pair[0],
                             '--work-dir', tmp_path, '--cfg-options',
                             f'load_from={path}')
    assert message.startswith(f'checkpoint {path}') and phrase in message
    assert not list(tmp_path.glob('*.pth'))  # not one iteration ran


def test_test_tool_partial_load_on_request(files, trained_pair, tmp_path,
                                           monkeypatch, capsys):
    path, _ = files['missing_keys']
    out = tmp_path / 'metrics.json'
    assert run_tool('test', monkeypatch, trained_pair[0], path, '--work-dir',
                    tmp_path, '--out', out, '--out-item', 'metrics',
                    '--partial-load') is None
    assert out.exists()
    log = capsys.readouterr()
    assert "loading part of PairClassifier; not loaded: missing " \
        "['trans.backbone.cls_token'" in log.out + log.err


def test_test_tool_exit_status_and_last_stderr_line(files, trained_pair,
                                                    tmp_path):
    path, _ = files['random']
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/test.py'), trained_pair[0], path, '--work-dir',
        str(tmp_path)
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          env=dict(__import__('os').environ, PYTHONPATH=ROOT))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (f'test: error: checkpoint {path}: not a PyTorch '
                    'checkpoint (2048 bytes that torch.load cannot read)')


BROKEN = ['empty', 'text', 'random', 'tensor', 'no_state_dict']


# the train paths (--resume: MMEngine's resume; load_from: its
# load_checkpoint) each with files of the loader's three kinds of error
@pytest.mark.parametrize('case,option', [('text', '--resume'),
                                         ('tensor', '--resume'),
                                         ('no_state_dict', '--resume'),
                                         ('empty', 'load_from'),
                                         ('random', 'load_from'),
                                         ('tensor', 'load_from')])
def test_train_tool_refuses_broken_files(case, option, files, trained_pair,
                                         tmp_path, monkeypatch):
    path, phrase = files[case]
    args = (['--resume', path] if option == '--resume' else
            ['--cfg-options', f'load_from={path}'])
    message = run_tool('train', monkeypatch, trained_pair[0], '--work-dir',
                       tmp_path, *args)
    assert message is not None
    assert message.startswith('train: error: ') and path in message, message
    assert phrase in message and '\n' not in message, message
    assert not list(tmp_path.glob('*.pth'))  # not one iteration ran


def test_train_load_from_loads_part_and_logs_the_rest(files, trained_pair,
                                                      tmp_path, monkeypatch,
                                                      capsys):
    path, _ = files['missing_keys']
    message = run_tool('train', monkeypatch, trained_pair[0], '--work-dir',
                       tmp_path, '--cfg-options', f'load_from={path}',
                       'train_cfg.max_epochs=1',
                       'train_dataloader.dataset.indices=32',
                       'val_dataloader.dataset.indices=32')
    assert message is None
    log = capsys.readouterr()
    assert "loading part of PairClassifier; not loaded: missing " \
        "['trans.backbone.cls_token'" in log.out + log.err
    assert (tmp_path / 'epoch_1.pth').exists()  # it trained


# what extracting the CNN says, after the branch prefix is taken off
EXTRACT_PHRASES = dict(
    one_nan='non-finite weights (NaN or inf) in head.fc.weight',
    all_nan='non-finite weights (NaN or inf) in backbone.',
    wrong_shape="wrong shape ['head.fc.weight']",
    solo_cnn='holds no `cnn.*` weights',
    no_state_dict='holds no `state_dict`')


@pytest.mark.parametrize(
    'case', BROKEN + ['one_nan', 'all_nan', 'wrong_shape', 'solo_cnn'])
def test_extract_refuses(case, files, trained_pair, tmp_path):
    from vpl_mm.export import ExtractError, extract_branch
    from vpl_mm.utils import InputError
    path, phrase = files[case]
    phrase = EXTRACT_PHRASES.get(case, phrase)
    with pytest.raises((InputError, ExtractError)) as info:
        extract_branch(trained_pair[0], path, 'cnn', str(tmp_path / 'o'))
    assert phrase in str(info.value) and path in str(info.value)
    assert not (tmp_path / 'o').exists()


def test_extract_tool_one_line(files, trained_pair, tmp_path):
    path, _ = files['text']
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/extract_branch.py'), trained_pair[0], path,
        '--branch', 'cnn', '--out-dir',
        str(tmp_path / 'o')
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          env=dict(__import__('os').environ, PYTHONPATH=ROOT))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f'extract_branch: error: checkpoint {path}: not a PyTorch '
        'checkpoint (9 bytes that torch.load cannot read)')


def test_dis_teacher_checkpoint_is_read_by_the_loader(files, tmp_path):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from vpl_mm.utils import CheckpointError
    cfg = Config.fromfile(osp.join(ROOT, 'configs/demo/dis_tiny_digits.py'))
    model = copy.deepcopy(cfg.model)
    model.pair_head.teacher_checkpoint = files['empty'][0]
    pair = MODELS.build(model)
    with pytest.raises(CheckpointError, match='the file is empty'):
        pair.init_weights()


@pytest.mark.parametrize('options,key', [
    (['train_dataloader.batch_size=1'], 'train_dataloader.batch_size=1'),
    (['train_dataloader.batch_size=64', 'train_dataloader.dataset.indices=65'
      ], 'the last batch of each epoch would hold 1 image'),
    (['model.cnn.head.num_classes=5', 'model.trans.head.num_classes=5'
      ], 'set num_classes=10 in every head'),
])
def test_data_that_cannot_work_is_refused_before_iteration_1(
        options, key, trained_pair, tmp_path, monkeypatch):
    message = run_tool('train', monkeypatch, trained_pair[0], '--work-dir',
                       tmp_path, '--cfg-options', *options)
    assert message is not None and key in message, message
    assert message.startswith('train: error: ') and '\n' not in message
    assert not list(tmp_path.glob('*.pth'))


@pytest.mark.parametrize('option,error,match', [
    ('model.pair_head.terms.cl.loss.temperature=abc', TypeError,
     'PairContrastiveLoss: `temperature` must be a number'),
    ('model.pair_head.terms.cl.loss.loss_weight=-0.1', ValueError,
     'PairContrastiveLoss: `loss_weight` must be finite and >= 0'),
    ('model.pair_head.terms.kl.loss.loss_weight=-1', ValueError,
     'PairKLDivLoss: `loss_weight` must be finite and >= 0'),
])
def test_bad_loss_options_fail_at_build(option, error, match, trained_pair,
                                        tmp_path, monkeypatch):
    with pytest.raises(error, match=match):
        run_tool('train', monkeypatch, trained_pair[0], '--work-dir', tmp_path,
                 '--cfg-options', option)
    assert not list(tmp_path.glob('*.pth'))


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_missing_config_is_named(tool, tmp_path, monkeypatch):
    missing = tmp_path / 'nope.py'
    args = [missing] + (['ckpt.pth'] if tool == 'test' else [])
    assert run_tool(tool, monkeypatch, *args) == \
        f'{tool}: error: config {missing}: no such file'


@pytest.mark.parametrize('option,message', [
    ('model.pair_head.terms.cl.loss.temprature=0.1',
     'model.pair_head.terms.cl.loss.temprature: PairContrastiveLoss takes '
     'no `temprature` (did you mean `temperature`?); it takes '),
    ('custom_hooks.0.xx=3', 'custom_hooks.0.xx: StageSwitchHook takes no '
     '`xx` (did you mean `x`?); it takes by_epoch, x, y'),
])
def test_unknown_key_of_our_component_is_named(option, message, trained_pair,
                                               tmp_path, monkeypatch):
    got = run_tool('train', monkeypatch, trained_pair[0], '--work-dir',
                   tmp_path, '--cfg-options', option)
    assert got.startswith(f'train: error: {message}') and '\n' not in got


def test_a_top_level_key_the_runner_ignores_is_named(trained_pair, tmp_path,
                                                     monkeypatch):
    logged = []
    monkeypatch.setattr('vpl_mm.utils.launch.print_log',
                        lambda msg, **kwargs: logged.append(msg))
    run_tool('train', monkeypatch, trained_pair[0], '--work-dir', tmp_path,
             '--cfg-options', 'max_epochs=1', 'train_cfg.max_epochs=1',
             'train_dataloader.batch_size=1')  # stops before iteration 1
    assert logged == [
        '--cfg-options max_epochs=... changes nothing: the Runner does not '
        'read a top-level `max_epochs` (a config variable is used only '
        'while the config is loaded): set train_cfg.max_epochs'
    ]


def test_rerun_without_resume_warns(trained_pair, tmp_path, monkeypatch):
    # a work dir of a previous run: one line says how to continue it
    logged = []
    monkeypatch.setattr('vpl_mm.engine.hooks.checkpoint_fit_hook.print_log',
                        lambda msg, **kwargs: logged.append(msg))
    (tmp_path / 'last_checkpoint').write_text(trained_pair[1])
    args = ('--work-dir', tmp_path, '--cfg-options',
            'train_dataloader.batch_size=1')  # stops before iteration 1
    run_tool('train', monkeypatch, trained_pair[0], *args)
    hint = (f'{tmp_path} holds a previous run (last_checkpoint); this run '
            'starts afresh and overwrites its checkpoints: add --resume to '
            'continue it')
    assert logged == [hint]
    logged.clear()
    run_tool('train', monkeypatch, trained_pair[0], '--resume', *args)
    assert logged == []
    # --resume with nothing to resume: said, and it starts afresh
    (tmp_path / 'last_checkpoint').unlink()
    run_tool('train', monkeypatch, trained_pair[0], '--resume', *args)
    assert logged == [
        f'--resume: {tmp_path} holds no checkpoint to resume (no '
        'last_checkpoint): this run starts afresh'
    ]
