"""torch.nn.functional: the stateless form of every layer. Each name here is an op from
glasstorch/ops/ (forward and backward side by side there); modules in nn/modules/ hold the
parameters and call these."""
from ..ops.linear import linear  # noqa: F401
from ..ops.unary import relu, tanh  # noqa: F401
from ..ops.softmax import *  # noqa: F401,F403
