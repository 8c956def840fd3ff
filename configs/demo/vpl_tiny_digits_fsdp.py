# The demo pair trained with FSDP (MMEngine's FlexibleRunner): parameters,
# gradients and optimizer states sharded over the processes, for pairs larger
# than one GPU. Same results as DDP (tested on CPU/gloo, 2 processes):
#   tools/dist_train.sh configs/demo/vpl_tiny_digits_fsdp.py 2
_base_ = ['./vpl_tiny_digits.py']

runner_type = 'FlexibleRunner'
strategy = dict(type='PairFSDPStrategy')
