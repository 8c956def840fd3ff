# VPL on Fashion-MNIST, the dataset's shipped pair: round five's winner on
# the val split (benchmarks/README.md, "The pair that beats distillation"),
# vpl_tiny_fmnist_oneway_featdecay.py. The CNN teaches the transformer
# through the contrastive term (eq. 3-5), feature guidance at a linearly
# decaying weight and KL(p_cnn || p_trans); the CNN learns from its labels
# alone (eq. 1). Until round five it was the gated PLM, now
# vpl_tiny_fmnist_gate.py. It is for a CNN that ends ahead of the
# transformer: with a weaker CNN (R2, configs/fashion_mnist_crossover/) it
# cost the transformer 2.26 points on test (benchmarks/README.md).
_base_ = ['./vpl_tiny_fmnist_oneway_featdecay.py']
