#!/usr/bin/env bash
# Usage: tools/slurm_launch.sh PARTITION JOB_NAME SCRIPT [SCRIPT options]
# Runs tools/SCRIPT as GPUS Slurm tasks, GPUS_PER_NODE per node (used by
# slurm_train.sh and slurm_test.sh). Environment:
#   GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5): the allocation;
#   SRUN_ARGS: more srun options, e.g. "--quotatype=auto";
#   MASTER_PORT (29500): the rendezvous port on the first node;
#   PYTHON (python): the interpreter the tasks run.
# Without GPUs on the nodes, the tasks train on CPU with the gloo backend.
set -e

PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
exec srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$(dirname "$0")/$SCRIPT" "${@:4}" --launcher slurm
