# VPL on Fashion-MNIST, the dataset's shipped pair: for now the PLM chosen in
# the first val-split selection (vpl_tiny_fmnist_gate.py); the selection of
# benchmarks/README.md ("The pair that pays") decides what replaces it.
_base_ = ['./vpl_tiny_fmnist_gate.py']
