#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# e.g. GPUS=16 tools/slurm_train.sh gpu vpl configs/vpl_r50_vitb_in1k.py \
#          work_dirs/vpl_r50_vitb_in1k
# Environment: see tools/slurm_launch.sh.
exec "$(dirname "$0")/slurm_launch.sh" "$1" "$2" train.py "$3" \
    --work-dir "$4" "${@:5}"
