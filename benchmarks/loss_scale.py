"""Loss-scale audit of a pair config: what each loss term does to each branch.

For any ``PairClassifier`` config, on real images, at initialisation and over
``--steps`` optimizer steps on one fixed batch (the config's own optimizer
and per-branch LRs, at their max LR: the schedule is not applied), measures

- every loss term (each branch's cross-entropy, ``loss_cl``, ``loss_kl``);
- the gradient norm that each term alone puts on each branch's backbone
  (``torch.autograd.grad`` of that term only);
- the mean L2 norm of the embeddings (``h_cnn``, ``h_trans``) and of what
  each embedding term compares, through its connector (e.g.
  ``cl: proj(h_cnn)``).

Both PLM terms are on (eq. 7's middle stage) unless ``--stage`` says
otherwise. Images (``--source``): ``photos`` = 8 real photos bundled with
scikit-image (astronaut, chelsea, coffee, rocket, hubble_deep_field,
immunohistochemistry, retina, camera), through the config's test pipeline
(e.g. resize + centre crop to 224); ``dataset`` = the first images of the
config's training set, through its test pipeline. Labels: the dataset's, or
0..7 for the photos.

Usage::

    python -m benchmarks.loss_scale CONFIG [--steps 10] [--source photos] \\
        [--out results.json] [--cfg-options k=v ...]
"""
import argparse
import json
import math

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models.utils import BRANCHES, set_training_progress
from .common import PHOTOS, photos


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument(
        '--batch', type=int, default=8, help='images in the fixed batch')
    parser.add_argument(
        '--source', choices=['photos', 'dataset'], default='photos')
    parser.add_argument(
        '--stage',
        choices=['cl', 'both', 'kl'],
        default='both',
        help="eq. 7's stage to audit")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the measurements as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.steps < 0 or args.batch < 2:
        parser.error('--steps must be >= 0 and --batch >= 2')
    return args


def test_pipeline(cfg):
    """The config's test pipeline without its file loader."""
    pipeline = cfg.test_dataloader.dataset.pipeline
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose(
            [t for t in pipeline if t['type'] != 'LoadImageFromFile'])


def photo_batch(cfg, n: int):
    """``n`` of scikit-image's bundled real photos, as the test pipeline
    makes them; labels 0..n-1 (modulo the number of classes)."""
    if n > len(PHOTOS):
        raise SystemExit(f'--source photos has {len(PHOTOS)} photos; '
                         f'--batch {n} is too many')
    pipeline, samples = test_pipeline(cfg), []
    classes = cfg.model.cnn.head.num_classes
    for i, img in enumerate(photos(PHOTOS[:n])):
        out = pipeline(
            dict(
                img=np.ascontiguousarray(img[..., ::-1]),
                gt_label=i % classes))  # BGR, as OpenCV loads
        samples.append(out)
    return samples


def dataset_batch(cfg, n: int):
    """The first ``n`` images of the config's training set, as its test
    pipeline makes them."""
    dataset = dict(cfg.train_dataloader.dataset)
    dataset.update(pipeline=cfg.test_dataloader.dataset.pipeline, indices=n)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(dataset)
    return [dataset[i] for i in range(n)]


def grad_norm(term: torch.Tensor, params) -> float:
    grads = torch.autograd.grad(
        term, params, retain_graph=True, allow_unused=True)
    return math.sqrt(
        sum(float(g.pow(2).sum()) for g in grads if g is not None))


def audit(cfg, steps: int, batch, stage: str = 'both', seed: int = 0):
    """Measure the terms, their backbone gradient norms and the embedding
    norms at init and after each of ``steps`` optimizer steps.

    Returns:
        list[dict]: One record per step (0 = at initialisation).
    """
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    if type(model).__name__ != 'PairClassifier':
        raise SystemExit(f'{cfg.filename}: the audit needs a PairClassifier '
                         f'config, got {type(model).__name__}')
    model.train()
    model.pair_head.activate(
        dict(cl=['cl'], both=['cl', 'kl'], kl=['kl'])[stage])
    data = model.data_preprocessor(
        dict(
            inputs=[b['inputs'] for b in batch],
            data_samples=[b['data_samples'] for b in batch]), True)
    inputs, samples = data['inputs'], data['data_samples']
    backbones = {
        name: [
            p for p in model.branch(name).backbone.parameters()
            if p.requires_grad
        ]
        for name in BRANCHES
    }
    records = []
    for step in range(steps + 1):
        # the first steps of a long run: the terms' weights as at its start
        set_training_progress(step, 10**9)
        losses, outputs = model.pair_losses(inputs, samples)
        terms = {k: v for k, v in losses.items() if k.startswith('loss')}
        record = dict(step=step, terms={})
        for key, value in terms.items():
            record['terms'][key] = dict(
                value=value.item(),
                **{
                    f'grad_{name}': grad_norm(value, params)
                    for name, params in backbones.items()
                })
        h = {name: outputs[name]['embed'].detach() for name in BRANCHES}
        norms = {
            f'h_{name}': float(h[name].norm(dim=1).mean())
            for name in BRANCHES
        }
        with torch.no_grad():
            for term in model.pair_head.terms.values():
                if term.inputs != 'embed' or term.proj is None:
                    continue
                for name, x in term.connect(h['cnn'], h['trans']).items():
                    if x is not h[name]:
                        norms[f'{term.name}: proj(h_{name})'] = float(
                            x.norm(dim=1).mean())
        record['embedding_norms'] = norms
        records.append(record)
        if step < steps:
            optim.update_params(sum(terms.values()))
    return records


def ratio(records_terms, term: str, base: str, branch: str) -> str:
    """‖∇ term‖ / ‖∇ base‖ on one branch's backbone, as text."""
    if term not in records_terms or base not in records_terms:
        return '—'
    num = records_terms[term][f'grad_{branch}']
    den = records_terms[base][f'grad_{branch}']
    return '∞' if den == 0 else f'{num / den:.3g}×'


def table(records) -> str:
    """The audit as two Markdown tables: every term's value and backbone
    gradient norms; then the PLM terms' gradient relative to each branch's
    own cross-entropy (eq. 3-5 reach the transformer, eq. 6 the CNN, under
    the paper's restriction) and the embedding norms."""
    lines = [
        '| step | term | value | ‖∇‖ CNN backbone | ‖∇‖ transformer '
        'backbone |', '|---|---|---|---|---|'
    ]
    for r in records:
        for key, t in r['terms'].items():
            lines.append(f'| {r["step"]} | {key} | {t["value"]:.4g} | '
                         f'{t["grad_cnn"]:.4g} | {t["grad_trans"]:.4g} |')
    lines += [
        '', '| step | ‖∇ CL‖ / ‖∇ CE‖, transformer | ‖∇ KL‖ / ‖∇ CE‖, CNN | '
        'mean embedding norms |', '|---|---|---|---|'
    ]
    for r in records:
        norms = ', '.join(f'‖{k}‖ {v:.3g}'
                          for k, v in r['embedding_norms'].items())
        lines.append(
            f'| {r["step"]} | '
            f'{ratio(r["terms"], "loss_cl", "loss_trans", "trans")} | '
            f'{ratio(r["terms"], "loss_kl", "loss_cnn", "cnn")} | {norms} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    batch = (
        photo_batch(cfg, args.batch)
        if args.source == 'photos' else dataset_batch(cfg, args.batch))
    records = audit(cfg, args.steps, batch, args.stage, args.seed)
    print(table(records))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    source=args.source,
                    stage=args.stage,
                    batch=args.batch,
                    records=records),
                f,
                indent=1)
    return records


if __name__ == '__main__':
    main()
