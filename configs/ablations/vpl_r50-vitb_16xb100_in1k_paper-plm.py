# The headline pair with the paper-literal contrastive term: dot-product
# similarity at tau = 1 (the paper gives no tau; 1 leaves eq. 3-4 unscaled)
# and N = the GPU's batch (100), as configs/vpl_r50_vitb_in1k.py shipped
# before the loss-scale audit (benchmarks/README.md). Watch `loss_cl` and the
# transformer's accuracy in the first epochs: at this scale the contrastive
# gradient on the ViT-B backbone was 124-773x the cross-entropy's.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    pair_head=dict(
        terms=dict(
            cl=dict(
                loss=dict(temperature=1.0, normalize=False, gather=False)))))
