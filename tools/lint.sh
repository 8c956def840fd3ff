#!/usr/bin/env bash
# Check the code style (setup.cfg: OpenMMLab's flake8, isort, yapf settings)
# on every Python file git tracks; fails on a violation and shows the diff.
# To fix: pre-commit run --all-files (.pre-commit-config.yaml), or
#   git ls-files -z '*.py' | xargs -0 isort && git ls-files -z '*.py' | xargs -0 yapf -i
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.py' | xargs -0 flake8
git ls-files -z '*.py' | xargs -0 isort --check-only --diff
git ls-files -z '*.py' | xargs -0 yapf --diff
echo "lint: flake8, isort, yapf clean"
