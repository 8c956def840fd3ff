import os.path as osp
import sys

# the helpers next to these tests
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
