"""nn.data: datasets, the DataLoader, DistributedSampler, and MNIST (IDX files or 5,000
digits offline)."""
from .dataset import Dataset, TensorDataset
from .distributed import DistributedSampler
from .loader import DataLoader
from .mnist import load_mnist, mnist_5k, read_idx

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler", "load_mnist",
           "mnist_5k", "read_idx"]
