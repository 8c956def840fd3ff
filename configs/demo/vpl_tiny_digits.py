# VPL on the real digits, the main job of README.md: the tiny ResNet and ViT
# trained as a pair with the demo's PLM and the paper's multi-stage schedule
# x = y = 20 (eq. 7), as vpl_tiny_digits_plm.py sets them. Fashion-MNIST's
# shipped pair (fashion_mnist/vpl_tiny_fmnist.py) is round five's winner; on
# the digits, whose CNNs sit at the ceiling, the demo keeps the PLM that its
# own suite measured (benchmarks/README.md).
_base_ = ['./vpl_tiny_digits_plm.py']
