import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.export import ExtractError, extract_branch
from vpl_mm.utils import CheckpointError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VARIANTS = [(b, ema) for b in ('cnn', 'trans') for ema in (True, False)]


def pair_model(config, checkpoint, ema):
    """The trained pair, built by vpl_mm, with EMA or raw weights."""
    model = MODELS.build(Config.fromfile(config).model).eval()
    ckpt = torch.load(checkpoint)
    if ema:
        state = ckpt['state_dict']
    else:
        state = {
            k[len('module.'):]: v
            for k, v in ckpt['ema_state_dict'].items()
            if k.startswith('module.')
        }
    model.load_state_dict(state)
    return model


@pytest.fixture(scope='module')
def extracted(trained_pair, tmp_path_factory):
    config, checkpoint = trained_pair
    out = {}
    for branch, ema in VARIANTS:
        folder = str(tmp_path_factory.mktemp(f'{branch}_{ema}'))
        out[branch, ema] = extract_branch(
            config, checkpoint, branch, folder, use_ema=ema)
    return out


STOCK_SCRIPT = textwrap.dedent('''
    import json, sys
    import mmcv
    import numpy as np
    import torch
    from mmpretrain import ImageClassificationInferencer, get_model
    jobs, image, out = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
    x = torch.from_numpy(np.load(sys.argv[4]))
    results = {}
    for name, (cfg, ckpt) in jobs.items():
        ckpt_data = torch.load(ckpt, weights_only=True)
        model = get_model(cfg, pretrained=ckpt).eval()
        with torch.no_grad():
            logits = model(x, mode='tensor')
        inferencer = ImageClassificationInferencer(cfg, pretrained=ckpt)
        pred = inferencer(image)[0]
        with torch.no_grad():
            data = inferencer.pipeline(dict(img=mmcv.imread(image)))
            batch = model.data_preprocessor(
                dict(inputs=[data['inputs']], data_samples=[
                    data['data_samples']]))
            direct = model(batch['inputs'], mode='tensor').softmax(1)[0]
        results[name] = dict(
            head=type(model.head).__name__, meta=ckpt_data['meta'],
            infer_vs_direct=float(np.abs(pred['pred_scores'] -
                                         direct.numpy()).max()))
        np.save(out + '_' + name + '.npy', logits.numpy())
    json.dump(dict(results=results,
                   vpl_mm_imported='vpl_mm' in sys.modules),
              open(out + '.json', 'w'), default=str)
''')


def test_stock_mmpretrain_gives_the_branch_logits(extracted, trained_pair,
                                                  digits_root, tmp_path):
    config, checkpoint = trained_pair
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 32, 32, generator=g)
    np.save(tmp_path / 'x.npy', x.numpy())
    jobs = {f'{b}_{ema}': extracted[b, ema] for b, ema in VARIANTS}
    (tmp_path / 'jobs.json').write_text(json.dumps(jobs))
    (tmp_path / 'stock.py').write_text(STOCK_SCRIPT)
    image = next(
        osp.join(d, f) for d, _, fs in os.walk(digits_root / 'val')
        for f in fs)
    # a clean process that never imports vpl_mm
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([
        sys.executable,
        str(tmp_path / 'stock.py'),
        str(tmp_path / 'jobs.json'), image,
        str(tmp_path / 'out'),
        str(tmp_path / 'x.npy')
    ],
                          cwd=str(tmp_path),
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / 'out.json').read_text())
    assert report['vpl_mm_imported'] is False
    raw = {}
    for branch, ema in VARIANTS:
        name = f'{branch}_{ema}'
        with torch.no_grad():
            expected = pair_model(config, checkpoint, ema)(
                x, mode='tensor')[branch]
        got = torch.from_numpy(np.load(tmp_path / f'out_{name}.npy'))
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
        result = report['results'][name]
        assert result['head'] == 'LinearClsHead'  # the ViT head converted
        assert result['infer_vs_direct'] < 1e-5
        assert result['meta']['branch'] == branch
        assert result['meta']['ema'] == ema
        raw[branch, ema] = got
    # EMA and raw weights really differ
    for branch in ('cnn', 'trans'):
        assert not torch.allclose(raw[branch, True], raw[branch, False])


def test_extracted_files_are_stock(extracted):
    for branch, ema in VARIANTS:
        cfg_path, ckpt_path = extracted[branch, ema]
        assert osp.basename(cfg_path) == f'{branch}.py'
        text = open(cfg_path).read()
        for word in ('vpl_mm', 'Pair', 'custom_imports', 'StageSwitch'):
            assert word not in text
        cfg = Config.fromfile(cfg_path)
        assert cfg.model.type == 'ImageClassifier'
        assert cfg.model.head.topk == (1, 5)
        assert cfg.data_preprocessor.type == 'ClsDataPreprocessor'
        assert cfg.test_evaluator == dict(type='Accuracy', topk=(1, 5))
        assert cfg.test_pipeline[-1].type == 'PackInputs'
        ckpt = torch.load(ckpt_path, weights_only=True)
        assert set(ckpt) == {'meta', 'state_dict'}
        assert all(
            k.split('.')[0] in ('backbone', 'neck', 'head')
            for k in ckpt['state_dict'])
        assert ckpt['meta']['dataset_meta']['classes'][0] == '0'


def test_ddp_prefix_is_handled(trained_pair, tmp_path):
    config, checkpoint = trained_pair
    ckpt = torch.load(checkpoint)
    ckpt['state_dict'] = {
        f'module.{k}': v
        for k, v in ckpt['state_dict'].items()
    }
    ckpt.pop('ema_state_dict')
    path = str(tmp_path / 'ddp.pth')
    torch.save(ckpt, path)
    _, out = extract_branch(config, path, 'cnn', str(tmp_path / 'out'))
    state = torch.load(out)['state_dict']
    reference = torch.load(checkpoint)['state_dict']
    torch.testing.assert_close(state['head.fc.weight'],
                               reference['cnn.head.fc.weight'])


def assert_nothing_written(folder):
    assert not osp.exists(folder) or not os.listdir(folder)


def test_unknown_branch(trained_pair, tmp_path):
    with pytest.raises(ExtractError, match="unknown branch 'vit'"):
        extract_branch(*trained_pair, 'vit', str(tmp_path / 'o'))
    assert_nothing_written(tmp_path / 'o')


def test_not_a_pair_config(trained_pair, tmp_path):
    solo = osp.join(ROOT, 'configs/demo/solo_cnn_tiny_digits.py')
    with pytest.raises(ExtractError, match='not a pair config'):
        extract_branch(solo, trained_pair[1], 'cnn', str(tmp_path / 'o'))
    assert_nothing_written(tmp_path / 'o')


def test_missing_branch_in_config(trained_pair, tmp_path):
    cfg = tmp_path / 'nocnn.py'
    cfg.write_text(f'_base_ = [{trained_pair[0]!r}]\n'
                   'model = dict(cnn=None)\n')
    with pytest.raises(ExtractError, match='no `model.cnn` branch'):
        extract_branch(str(cfg), trained_pair[1], 'cnn', str(tmp_path / 'o'))
    assert_nothing_written(tmp_path / 'o')


def test_not_a_pair_checkpoint(trained_pair, tmp_path):
    solo = tmp_path / 'solo.pth'
    torch.save(dict(meta={}, state_dict={'backbone.x': torch.zeros(1)}), solo)
    with pytest.raises(ExtractError, match='holds no `cnn.\\*` weights'):
        extract_branch(trained_pair[0], str(solo), 'cnn', str(tmp_path / 'o'))
    with pytest.raises(CheckpointError, match='none.pth: no such file'):
        extract_branch(trained_pair[0], str(tmp_path / 'none.pth'), 'cnn',
                       str(tmp_path / 'o'))
    assert_nothing_written(tmp_path / 'o')


def test_checkpoint_of_another_model(trained_pair, tmp_path):
    cfg = tmp_path / 'wide.py'
    cfg.write_text(f'_base_ = [{trained_pair[0]!r}]\n'
                   'model = dict(cnn=dict(backbone=dict(base_channels=32), '
                   'head=dict(in_channels=256)))\n')
    with pytest.raises(CheckpointError, match='does not fit branch `cnn`'):
        extract_branch(str(cfg), trained_pair[1], 'cnn', str(tmp_path / 'o'))
    assert_nothing_written(tmp_path / 'o')


def test_a_distillation_token_head_becomes_deits_stock_head(
        pair_cfg, tmp_path):
    from mmpretrain.models.heads import DeiTClsHead
    from tiny_models import TINY_DEIT
    pair = dict(
        pair_cfg,
        trans=TINY_DEIT,
        pair_head=dict(terms=dict(kl=dict(learner='trans', dist_token=True))))
    torch.manual_seed(0)
    model = MODELS.build(pair).eval()
    Config(dict(model=pair)).dump(str(tmp_path / 'pair.py'))
    torch.save(
        dict(meta={}, state_dict=model.state_dict()),
        str(tmp_path / 'pair.pth'))
    cfg_path, ckpt_path = extract_branch(
        str(tmp_path / 'pair.py'), str(tmp_path / 'pair.pth'), 'trans',
        str(tmp_path / 'out'))
    cfg = Config.fromfile(cfg_path)
    assert cfg.model.head.type == 'DeiTClsHead'
    stock = MODELS.build(cfg.model).eval()
    assert type(stock.head) is DeiTClsHead
    stock.load_state_dict(
        torch.load(ckpt_path, weights_only=True)['state_dict'], strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(stock(x), model(x, mode='tensor')['trans'])
