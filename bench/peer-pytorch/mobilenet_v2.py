"""MobileNetV2 as a plain PyTorch nn.Module (torchvision's structure), loaded with the tfjs weights.

The bench's fast peers use this instead of tfjs_port.Interpreter: the same convolutions as the
Keras graph, but as an ordinary module a PyTorch user would write (ConvBNReLU6 + inverted
residual blocks), so nothing interprets a graph per call and the eval-mode extractor can be
fused (conv+BN folded). Keras' asymmetric 'same' padding of the stride-2 convolutions is an
explicit (0, 1, 0, 1) zero pad, exactly as the Keras model's ZeroPadding2D layers do it;
check_port.py proves the features equal tfjs' before any timing.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from tfjs_port import load_weights

# (block index, depthwise stride) of Keras' MobileNetV2 blocks 1..16; block 0 is 'expanded_conv'.
STRIDES = {1: 2, 3: 2, 6: 2, 13: 2}


class ConvBN(nn.Module):
    """conv (no bias) + BatchNorm (eps as Keras') + optional ReLU6; stride-2 3x3 pads (0,1,0,1)."""

    def __init__(self, kernel, bn, stride=1, depthwise=False, relu6=True):
        super().__init__()
        if depthwise:  # Keras (kh, kw, in, 1) -> torch (in, 1, kh, kw)
            kh, kw, cin, mult = kernel.shape
            w = torch.from_numpy(kernel.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw).copy())
            groups = cin
        else:  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
            w = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
            groups = 1
        k = w.shape[-1]
        self.pad = (0, 1, 0, 1) if stride == 2 else None
        padding = 0 if stride == 2 else (k - 1) // 2
        self.conv = nn.Conv2d(w.shape[1] * groups, w.shape[0], k, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(w.shape[0], eps=1e-3)
        with torch.no_grad():
            self.conv.weight.copy_(w)
            for name, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                              ("running_var", "moving_variance")):
                getattr(self.bn, name).copy_(torch.from_numpy(bn[key]))
        self.relu6 = relu6

    def forward(self, x):
        if self.pad:
            x = F.pad(x, self.pad)
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.relu6 else x


class InvertedResidual(nn.Module):
    def __init__(self, expand, depthwise, project, residual):
        super().__init__()
        self.expand, self.depthwise, self.project, self.residual = expand, depthwise, project, residual

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class MobileNetV2Features(nn.Module):
    """Input NCHW in [-1, 1] -> out_relu feature map (N, 1280, 7, 7); `pool=True` averages it."""

    def __init__(self, model_dir, pool=False):
        super().__init__()
        with open(os.path.join(model_dir, "model.json")) as f:
            model_json = json.load(f)
        w = load_weights(model_dir, model_json["weightsManifest"])
        bn = lambda name: {k: w[f"{name}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")}
        layers = [ConvBN(w["Conv1/kernel"], bn("bn_Conv1"), stride=2)]
        layers.append(InvertedResidual(
            None,
            ConvBN(w["expanded_conv_depthwise/depthwise_kernel"], bn("expanded_conv_depthwise_BN"), depthwise=True),
            ConvBN(w["expanded_conv_project/kernel"], bn("expanded_conv_project_BN"), relu6=False),
            residual=False))
        for i in range(1, 17):
            p = f"block_{i}_"
            stride = STRIDES.get(i, 1)
            expand = ConvBN(w[p + "expand/kernel"], bn(p + "expand_BN"))
            dw = ConvBN(w[p + "depthwise/depthwise_kernel"], bn(p + "depthwise_BN"), stride=stride, depthwise=True)
            project = ConvBN(w[p + "project/kernel"], bn(p + "project_BN"), relu6=False)
            cin, cout = w[p + "expand/kernel"].shape[2], w[p + "project/kernel"].shape[3]
            layers.append(InvertedResidual(expand, dw, project, residual=stride == 1 and cin == cout))
        layers.append(ConvBN(w["Conv_1/kernel"], bn("Conv_1_bn")))
        self.features = nn.Sequential(*layers)
        self.pool = pool
        self.out_channels = w["Conv_1/kernel"].shape[3]
        # Keras writes the stride of each block into the topology: the table above must agree.
        config = (model_json["modelTopology"].get("model_config") or model_json["modelTopology"])["config"]
        for layer in config["layers"]:
            name = layer["config"]["name"]
            if name.startswith("block_") and name.endswith("_depthwise") and layer["class_name"] == "DepthwiseConv2D":
                i = int(name.split("_")[1])
                if layer["config"]["strides"][0] != STRIDES.get(i, 1):
                    raise ValueError(f"{name}: stride {layer['config']['strides']} is not MobileNetV2's")

    def forward(self, x):
        x = self.features(x)
        return x.mean(dim=(2, 3)) if self.pool else x


def fuse_for_inference(model):
    """Eval-mode extractor with every BatchNorm folded into its convolution (what torch.fx's
    fuser or torch.jit.freeze do), so a forward pass is convolutions, ReLU6, adds and pads only."""
    model = model.eval()
    for m in model.modules():
        if isinstance(m, ConvBN) and isinstance(m.bn, nn.BatchNorm2d):
            m.conv = torch.nn.utils.fusion.fuse_conv_bn_eval(m.conv, m.bn)
            m.bn = nn.Identity()
    return model
