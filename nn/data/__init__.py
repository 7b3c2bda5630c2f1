"""nn.data (torch.utils.data's names): datasets, DataLoader (optionally with worker
processes), default_collate, random_split, DistributedSampler, and MNIST (IDX files or 5,000
digits offline)."""
from .collate import default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .loader import DataLoader
from .mnist import load_mnist, mnist_5k, read_idx
from .worker import get_worker_info

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "DataLoader", "DistributedSampler", "default_collate", "get_worker_info",
           "load_mnist", "mnist_5k", "read_idx"]
