# Table 7's "Bi" ablation on the demo: both PLM terms reach both branches.
_base_ = ['./vpl_tiny_digits_plm.py']

model = dict(
    pair_head=dict(
        terms=dict(cl=dict(bidirectional=True), kl=dict(bidirectional=True))))
