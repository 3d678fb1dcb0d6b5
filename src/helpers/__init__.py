"""helpers: the companion package of the book.

It sets notebooks up reproducibly, loads the book's data offline, explains tensor shapes layer
by layer and draws feature maps, filters and the CNN pipeline.
"""

from ._setup import NotebookSetup, setup_notebook  # first: quiets TensorFlow before it loads
from .data import (
    FASHION_MNIST_CLASSES,
    SAMPLE_IMAGES,
    DataNotFoundError,
    load_fashion_mnist,
    sample_image,
)
from .glue import glue

__version__ = "0.1.0"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "SAMPLE_IMAGES",
    "DataNotFoundError",
    "NotebookSetup",
    "glue",
    "load_fashion_mnist",
    "sample_image",
    "setup_notebook",
]
