"""Writers of the real datasets that need no download: scikit-learn's
handwritten digits (the main job's) and Debian's Fashion-MNIST (the evidence
suite's), as MMPretrain's datasets read them."""
from .digits import ensure_digits, prepare_digits
from .fashion_mnist import (DatasetFileError, ensure_fashion_mnist,
                            prepare_fashion_mnist)

__all__ = [
    'DatasetFileError', 'ensure_digits', 'ensure_fashion_mnist',
    'prepare_digits', 'prepare_fashion_mnist'
]
