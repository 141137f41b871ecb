"""torch.nn.functional: the stateless form of every layer. Each name here is an op from
glasstorch/ops/ (forward and backward side by side there); modules in nn/modules/ hold the
parameters and call these."""
from ..ops.linear import linear, bilinear  # noqa: F401
from ..ops.embedding import embedding, embedding_bag  # noqa: F401
from ..ops.trig import tanh  # noqa: F401
from ..ops.unary import sigmoid  # noqa: F401
from ..ops.softmax import *  # noqa: F401,F403
from ..ops.softmax import gumbel_softmax  # noqa: F401
from ..ops.activation import *  # noqa: F401,F403
from ..ops.activation import relu, softmax, log_softmax, softmin  # noqa: F401
from ..ops.norm import *  # noqa: F401,F403
from ..ops.norm import batch_norm, instance_norm  # noqa: F401
from ..ops.dropout import *  # noqa: F401,F403
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from ..ops.fold import unfold, fold  # noqa: F401
from ..ops.pool import (max_pool1d, max_pool2d, max_pool1d_with_indices,  # noqa: F401
                        max_pool2d_with_indices, avg_pool1d, avg_pool2d, adaptive_avg_pool1d,
                        adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
                        max_unpool1d, max_unpool2d)
from ..ops.pool_avg import lp_pool1d, lp_pool2d  # noqa: F401
from ..ops.conv3d import conv3d, conv_transpose3d  # noqa: F401
from ..ops.conv_tbc import conv_tbc  # noqa: F401
from ..ops.native_forms import native_channel_shuffle  # noqa: F401
from ..tensor import Tensor  # noqa: F401
from ..ops.pool3d import (max_pool3d, max_pool3d_with_indices, avg_pool3d,  # noqa: F401
                          adaptive_avg_pool3d, adaptive_max_pool3d, lp_pool3d, max_unpool3d)
from ..ops.upsample import channel_shuffle  # noqa: F401
from ..ops.distance import pdist  # noqa: F401
from ..ops.pad import pad  # noqa: F401
from ..ops.upsample import (interpolate, upsample, upsample_nearest,  # noqa: F401
                            upsample_bilinear, pixel_shuffle, pixel_unshuffle)
from ..ops.loss import (cross_entropy, nll_loss, binary_cross_entropy,  # noqa: F401
                        binary_cross_entropy_with_logits)
from ..ops.ctc import ctc_loss  # noqa: F401
from ..ops.linear_ce import linear_cross_entropy  # noqa: F401
from ..ops.fractional_pool import fractional_max_pool2d, fractional_max_pool3d  # noqa: F401
from ..ops.grouped_mm import grouped_mm  # noqa: F401
from ..ops.loss_composed import (mse_loss, l1_loss, smooth_l1_loss, huber_loss,  # noqa: F401
                                 kl_div, poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss,
                                 hinge_embedding_loss, soft_margin_loss,
                                 multilabel_soft_margin_loss, cosine_embedding_loss,
                                 multi_margin_loss, multilabel_margin_loss, triplet_margin_loss,
                                 triplet_margin_with_distance_loss)
from ..ops.gather import one_hot  # noqa: F401
from ..ops.grid_sample import affine_grid, grid_sample  # noqa: F401
from ..ops.distance import normalize, cosine_similarity, pairwise_distance  # noqa: F401
from ..ops.attention import scaled_dot_product_attention  # noqa: F401
from ..ops.mha import (multi_head_attention_forward, _canonical_mask,  # noqa: F401
                       _none_or_dtype, _mha_shape_check, _in_projection_packed,
                       _in_projection)

# torch's tables of grid_sample's mode names -> the integer codes of grid_sampler
GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}

from .. import _aliases  # noqa: E402  (keepdim must be a bool, as torch's parser says)
_aliases.wrap_keepdim(globals(), ["pairwise_distance"])
