"""MMPretrain's ``tools/analysis_tools/eval_metric.py`` with vpl_mm registered,
so that a pair's ``tools/test.py --out preds.pkl`` can be scored offline
with ``PairMetric`` (both branches), e.g.::

    python tools/analysis/eval_metric.py preds.pkl \\
        --metric type=PairMetric metric=Accuracy topk=1,5
"""
import vpl_mm  # noqa: F401  (registers PairMetric)
from vpl_mm.utils import load_mmpretrain_tool

if __name__ == '__main__':
    load_mmpretrain_tool('analysis_tools/eval_metric').main()
