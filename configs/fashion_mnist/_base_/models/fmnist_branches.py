# The two branches on Fashion-MNIST: the demo's (ResNet-18 layout at 1/4 width,
# ImageNet stem: 28 -> 7 px, 128-d; ViT with 4 layers of width 96, 3 heads,
# 96-d) and per-branch max LRs, for 1 channel at 28x28. The ViT takes patch 7
# (16 tokens: half the CPU time of patch 4 per epoch, measured).
_base_ = ['../../../demo/_base_/models/tiny_branches.py']

cnn = dict(backbone=dict(in_channels=1), head=dict(topk=(1, )))
trans = dict(
    backbone=dict(img_size=28, patch_size=7, in_channels=1),
    head=dict(topk=(1, )))
# the demo's pair models, of these branches
vpl_model = dict(cnn=cnn, trans=trans)
dml_model = dict(cnn=cnn, trans=trans)
# top-1 only: Fashion-MNIST's 10 classes make top-5 uninformative
pair_evaluator = dict(metric=dict(topk=(1, )))
