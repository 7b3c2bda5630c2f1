"""nn.data: datasets, the DataLoader, and MNIST (IDX files or 5,000 digits offline)."""
from .dataset import Dataset, TensorDataset
from .loader import DataLoader
from .mnist import load_mnist, mnist_5k, read_idx

__all__ = ["Dataset", "TensorDataset", "DataLoader", "load_mnist", "mnist_5k", "read_idx"]
