"""Export one branch of a trained pair as a stock MMPretrain classifier.

Usage::

    python tools/extract_branch.py CONFIG CHECKPOINT --branch cnn|trans \\
        --out-dir DIR [--no-ema]

(the console script ``vpl-extract`` of an installed wheel is the same; see
:func:`vpl_mm.cli.extract`).
"""
from vpl_mm.cli import extract

if __name__ == '__main__':
    extract()
