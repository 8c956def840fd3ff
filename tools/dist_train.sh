#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# Without GPUs, GPUS processes train on the CPU with the gloo backend.

CONFIG=$1
GPUS=$2
exec "$(dirname "$0")/dist_launch.sh" "$GPUS" train.py "$CONFIG" "${@:3}"
