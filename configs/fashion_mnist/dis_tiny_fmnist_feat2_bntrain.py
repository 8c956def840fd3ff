# Round five's control (benchmarks/README.md): dis_tiny_fmnist_feat2.py with
# the frozen teacher's BatchNorm in train mode (the batch's statistics, as a
# live partner's targets are computed), not eval mode: does the two-run
# route lead the joint pair because its teacher's targets use running
# statistics?
_base_ = ['./dis_tiny_fmnist_feat2.py']

model = dict(pair_head=dict(teacher_mode='train'))
