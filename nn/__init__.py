"""nn: a neural-network library built only on minigrad's public API."""
from . import data
