import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the benchmarks package (run from the root), and the test helpers of
# tests/test_tools
sys.path[:0] = [ROOT, osp.join(ROOT, 'tests/test_tools')]
