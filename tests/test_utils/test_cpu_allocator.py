import subprocess
import sys

import pytest

PROBE = '''
import sys
import torch
from vpl_mm.utils import keep_freed_memory
if sys.argv[1] == "tuned":
    assert keep_freed_memory()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
base = rss()
t = torch.empty(16 * 2**20, dtype=torch.uint8)
t.fill_(1)  # touch the pages
del t
print(rss() - base)
'''


@pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='glibc and /proc are Linux')
def test_freed_activations_stay_in_the_process():

    def kept(mode):
        out = subprocess.run([sys.executable, '-c', PROBE, mode],
                             capture_output=True,
                             text=True,
                             check=True)
        return int(out.stdout.split()[-1]) / 2**20

    # stock glibc unmaps a freed 16 MiB block (the next step faults it in
    # again); tuned, it stays for reuse
    assert kept('stock') < 4
    assert kept('tuned') > 12
