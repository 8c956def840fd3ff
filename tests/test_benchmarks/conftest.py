import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the scripts under benchmarks/, and the test helpers of tests/test_tools
sys.path[:0] = [
    osp.join(ROOT, 'benchmarks'),
    osp.join(ROOT, 'tests/test_tools')
]
