"""vpl_mm's benchmarks: measured side by side, reported in README.md here.

``common`` holds what every benchmark needs (run a config, read its curves,
its last checkpoint, real photos, the datasets, paired statistics),
``suites`` the accuracy suites as tables; the scripts are thin and run from
the repository root as modules, e.g. ``python -m benchmarks.accuracy``.
"""
