#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.

CONFIG=$1
CHECKPOINT=$2
GPUS=$3
exec "$(dirname "$0")/dist_launch.sh" "$GPUS" test.py "$CONFIG" "$CHECKPOINT" \
    "${@:4}"
