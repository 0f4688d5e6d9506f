"""Initialization schemes for the recurrent (hidden-to-hidden) weights of a model.

Works on any module naming its recurrent weights ``weight_hh_l<k>`` with one square block per
gate stacked along the rows, as torch's fused layers and :mod:`.unfused_lstm` do.
"""

from __future__ import annotations

import torch
from torch import nn


def initialize_recurrent(module: nn.Module, scheme: str) -> None:
    """Re-initialize every ``weight_hh`` gate block of ``module`` with ``scheme``.

    ``default`` keeps torch's uniform initialization; ``orthogonal`` and ``xavier`` draw each
    gate block (Saxe et al. 2014; Glorot & Bengio 2010); ``identity`` sets each block to the
    identity and every bias to zero (IRNN, Le et al. 2015).
    """
    if scheme == "default":
        return
    with torch.no_grad():
        for name, weight in module.named_parameters():
            if name.startswith("weight_hh"):
                for block in weight.split(weight.shape[1], dim=0):
                    _initialize_block(block, scheme)
            elif scheme == "identity" and name.startswith("bias"):
                weight.zero_()


def _initialize_block(block: torch.Tensor, scheme: str) -> None:
    if scheme == "orthogonal":
        nn.init.orthogonal_(block)
    elif scheme == "xavier":
        nn.init.xavier_uniform_(block)
    elif scheme == "identity":
        block.copy_(torch.eye(block.shape[0], dtype=block.dtype))
    else:
        raise ValueError(f"unknown init scheme {scheme!r}")


def set_forget_bias(module: nn.Module, value: float, gate_index: int) -> None:
    """Set the forget-gate bias of every layer to ``value`` (Gers et al. 2000).

    The input-side bias block ``gate_index`` gets ``value``, the recurrent-side one zero, so
    their sum, the gate's bias, is ``value``.
    """
    with torch.no_grad():
        for name, bias in module.named_parameters():
            if not name.startswith(("bias_ih", "bias_hh")):
                continue
            size = module.get_parameter("weight_hh" + name[len("bias_ih") :]).shape[1]
            block = bias[gate_index * size : (gate_index + 1) * size]
            block.fill_(value if name.startswith("bias_ih") else 0.0)
