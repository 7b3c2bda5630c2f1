"""`Dataset` and `TensorDataset`: map-style datasets, as in `torch.utils.data`.

A dataset is anything with `__len__` and `__getitem__(i)` returning one sample (usually a
tuple such as `(image, label)`); `DataLoader` turns samples into batches.
"""
import numpy as np

from minigrad import Tensor


class Dataset:
    """Base class of map-style datasets: subclass it and define `__len__` and `__getitem__`.

        class Squares(nn.data.Dataset):
            def __len__(self):
                return 10
            def __getitem__(self, i):
                return mg.tensor([float(i)]), i * i
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define "
                                  "__len__ (the number of samples)")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define "
                                  "__getitem__(index) returning one sample")


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: `dataset[i] == (t[i] for t in tensors)`.

    Shapes:
        tensors: (N, *a), (N, *b), ...  (Tensors or NumPy arrays; arrays are wrapped, not copied)
        item i:  tuple of Tensors of shapes (*a), (*b), ...
    `DataLoader` indexes the whole arrays at once for a TensorDataset (no per-sample stacking).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor; pass e.g. "
                             "TensorDataset(images, labels)")
        wrapped = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        for position, t in enumerate(wrapped):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is 0-d (shape ()); every "
                                 "tensor needs a first dimension indexing the samples")
        lengths = [t.shape[0] for t in wrapped]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(t.shape) for t in wrapped)
            raise ValueError(f"TensorDataset: the tensors have different numbers of samples "
                             f"(shapes {shapes}); their first dimensions must be equal")
        self.tensors = wrapped

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor(t.data[index]) for t in self.tensors)

    def __repr__(self):
        shapes = ", ".join(str(t.shape) for t in self.tensors)
        return f"TensorDataset({shapes})"
