# Table 7, "Bi": both PLM terms reach both branches (no restricted gradient
# flow); otherwise the headline recipe.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    pair_head=dict(
        terms=dict(cl=dict(bidirectional=True), kl=dict(bidirectional=True))))
