"""helpers: the companion package of the book.

It sets notebooks up reproducibly, loads the book's data offline, explains tensor shapes layer
by layer and draws feature maps, filters and the CNN pipeline.
"""

from ._setup import NotebookSetup, setup_notebook  # first: quiets TensorFlow before it loads
from .activations import get_activations, layer_names
from .arithmetic import (
    Explained,
    PaddingSplit,
    ReceptiveField,
    batch_norm_params,
    conv_macs,
    conv_output_length,
    conv_params,
    conv_transpose_output_length,
    dense_macs,
    dense_params,
    depthwise_conv_params,
    effective_kernel_size,
    pool_output_length,
    receptive_field,
    same_padding,
    separable_conv_params,
)
from .data import (
    FASHION_MNIST_CLASSES,
    SAMPLE_IMAGES,
    DataNotFoundError,
    load_fashion_mnist,
    sample_image,
)
from .glue import glue
from .plots import plot_conv_step, plot_feature_maps, plot_filters, plot_pipeline
from .shapes import ShapeRow, ShapeTable, shape_table
from .widgets import (
    ConvState,
    conv_explorer,
    conv_explorer_state,
    gradient_explorer,
    plot_conv_explorer_grid,
    plot_gradient_states,
    tangent_line,
)

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
    # shapes, drawings and widgets
    "ConvState",
    "Explained",
    "PaddingSplit",
    "ReceptiveField",
    "ShapeRow",
    "ShapeTable",
    "batch_norm_params",
    "conv_explorer",
    "conv_explorer_state",
    "conv_macs",
    "conv_output_length",
    "conv_params",
    "conv_transpose_output_length",
    "dense_macs",
    "dense_params",
    "depthwise_conv_params",
    "effective_kernel_size",
    "get_activations",
    "gradient_explorer",
    "layer_names",
    "plot_conv_explorer_grid",
    "plot_conv_step",
    "plot_feature_maps",
    "plot_filters",
    "plot_gradient_states",
    "plot_pipeline",
    "pool_output_length",
    "receptive_field",
    "same_padding",
    "separable_conv_params",
    "shape_table",
    "tangent_line",
]
