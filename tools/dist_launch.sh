#!/usr/bin/env bash
# Usage: tools/dist_launch.sh GPUS SCRIPT [SCRIPT options]
# Starts GPUS processes of tools/SCRIPT with torchrun (used by dist_train.sh
# and dist_test.sh). Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT
# on every node.

GPUS=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
exec torchrun \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/$SCRIPT" \
    "${@:3}" \
    --launcher pytorch
