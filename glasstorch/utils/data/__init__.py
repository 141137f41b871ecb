"""Data loading: datasets, samplers, collation and the DataLoader (torch.utils.data)."""
from .dataset import *  # noqa: F401,F403
from .sampler import *  # noqa: F401,F403
from ._collate import default_collate, default_convert  # noqa: F401
from ._worker import get_worker_info, WorkerInfo  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
