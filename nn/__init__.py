"""nn: a neural-network library built only on minigrad's public API."""
from . import data
from . import functional
from . import init
from . import optim
from . import parallel
from . import utils
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleList, Sequential
from .conv import Conv2D, Conv2d
from .dropout import Dropout
from .linear import Dense, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm2D, BatchNorm2d
from .pooling import AvgPool2D, AvgPool2d, MaxPool2D, MaxPool2d
from .shape import Flatten
from .summary import summary

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "Conv2D", "Conv2d", "MaxPool2D",
    "MaxPool2d", "AvgPool2D", "AvgPool2d", "Dense", "Linear", "ReLU", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "Flatten", "Dropout", "BatchNorm2D", "BatchNorm2d",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "functional", "init", "optim", "data", "parallel",
    "summary", "utils",
]
