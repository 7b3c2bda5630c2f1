"""nn: a neural-network library built only on minigrad's public API."""
from . import data
from . import functional
from . import init
from . import optim
from . import parallel
from . import utils
from .activation import (ELU, GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv2D, Conv2d
from .conv_transpose import ConvTranspose2D, ConvTranspose2d
from .dropout import Dropout, Dropout2D, Dropout2d
from .embedding import Embedding
from .linear import Dense, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module, Parameter
from .normalization import (BatchNorm1D, BatchNorm1d, BatchNorm2D, BatchNorm2d, GroupNorm,
                            LayerNorm)
from .pooling import (AdaptiveAvgPool2D, AdaptiveAvgPool2d, AdaptiveMaxPool2D,
                      AdaptiveMaxPool2d, AvgPool2D, AvgPool2d, MaxPool2D, MaxPool2d)
from .shape import Flatten, Unflatten, ZeroPad2D, ZeroPad2d
from .summary import summary
from .upsample import Upsample

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Conv2D", "Conv2d",
    "ConvTranspose2D", "ConvTranspose2d", "MaxPool2D", "MaxPool2d", "AvgPool2D", "AvgPool2d",
    "AdaptiveAvgPool2D", "AdaptiveAvgPool2d", "AdaptiveMaxPool2D", "AdaptiveMaxPool2d",
    "Dense", "Linear", "Identity", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus",
    "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Unflatten", "ZeroPad2D",
    "ZeroPad2d", "Upsample", "Dropout", "Dropout2D", "Dropout2d", "BatchNorm1D", "BatchNorm1d",
    "BatchNorm2D", "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding", "CrossEntropyLoss",
    "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "functional", "init", "optim", "data", "parallel",
    "summary", "utils",
]
