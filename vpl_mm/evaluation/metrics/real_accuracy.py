import json
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


@METRICS.register_module()
class RealAccuracy(BaseMetric):
    """Top-k accuracy on ImageNet-ReaL (Beyer et al. 2020; paper Table 2-8).

    ReaL relabels the 50,000 ImageNet val images with *sets* of plausible
    labels (``real.json``: one list per image, in the order of the file names
    ``ILSVRC2012_val_00000001.JPEG`` ...). A prediction counts when one of its
    top-k classes is in the image's set; images whose set is empty are
    skipped. Evaluate on the ordinary ImageNet val set with this metric.

    Args:
        real_json (str): Path of ``real.json``.
        topk (Sequence[int]): The k's. Defaults to ``(1, 5)``.
        collect_device (str): See ``BaseMetric``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'real'``, so results are
            ``real/top1`` ... (``cnn/real/top1`` under :class:`PairMetric`).
    """

    default_prefix = 'real'
    VAL_NAME = re.compile(r'ILSVRC2012_val_(\d{8})')

    def __init__(self,
                 real_json: str,
                 topk: Sequence[int] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        with open(real_json) as f:
            self.real_labels: List[List[int]] = json.load(f)
        self.topk = tuple(topk)

    def _index(self, sample: dict) -> int:
        path = sample.get('img_path')
        match = self.VAL_NAME.search(osp.basename(path or ''))
        if match is None:
            raise ValueError('RealAccuracy needs ImageNet val file names '
                             f'(ILSVRC2012_val_XXXXXXXX.JPEG), got {path!r}')
        index = int(match.group(1)) - 1
        if not 0 <= index < len(self.real_labels):
            raise ValueError(f'{path}: no entry {index + 1} in real.json '
                             f'({len(self.real_labels)} entries)')
        return index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """One result per sample, ``()`` for an image without labels.

        Every sample must leave one result: MMEngine's ``collect_results``
        drops the distributed sampler's padding by position
        (``results[:size]``), so skipping here would cut real images instead.
        (Not ``None``: ``collect_results_cpu`` drops ``None`` entries.)
        """
        k = max(self.topk)
        for sample in data_samples:
            labels = self.real_labels[self._index(sample)]
            if not labels:
                self.results.append(())  # no real label: not counted
                continue
            top = torch.as_tensor(sample['pred_score']).topk(k).indices
            self.results.append(
                tuple(
                    bool(set(top[:i].tolist()) & set(labels))
                    for i in self.topk))

    def compute_metrics(self, results: List[Tuple[bool, ...]]) -> dict:
        results = [r for r in results if r]  # as in ReaL
        n = len(results)
        return {
            f'top{k}': 100.0 * sum(r[i] for r in results) / max(n, 1)
            for i, k in enumerate(self.topk)
        }
