"""Run a TensorFlow.js LayersModel (model.json + weight shards) as a PyTorch nn.Module.

The bench's PyTorch peer must train on exactly the weights Ferry uses, so this interprets the
Keras topology layer by layer instead of relying on torchvision's MobileNetV2 definition:
TF 'same' padding (asymmetric for stride 2), ZeroPadding2D, BatchNorm epsilon and Keras' HWIO
kernels are reproduced as Keras computes them. Layout inside torch is NCHW.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_weights(model_dir, manifest):
    buffers = []
    for group in manifest:
        for path in group["paths"]:
            with open(os.path.join(model_dir, path), "rb") as f:
                buffers.append(f.read())
    data = b"".join(buffers)
    weights, offset = {}, 0
    for group in manifest:
        for spec in group["weights"]:
            if spec["dtype"] != "float32" or spec.get("quantization"):
                raise ValueError(f"unsupported weight {spec['name']}: {spec['dtype']} {spec.get('quantization')}")
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            weights[spec["name"]] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(spec["shape"]).copy()
            offset += count * 4
    return weights


def tf_same_pads(size, kernel, stride, dilation=1):
    effective = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


class KerasConv(nn.Module):
    def __init__(self, config, kernel, bias, depthwise):
        super().__init__()
        self.stride = tuple(config["strides"])
        self.dilation = tuple(config.get("dilation_rate", [1, 1]))
        self.padding = config["padding"]
        self.depthwise = depthwise
        if depthwise:  # Keras (kh, kw, in, mult) -> torch (in*mult, 1, kh, kw)
            kh, kw, cin, mult = kernel.shape
            w = kernel.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            self.groups = cin
        else:  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
            w = kernel.transpose(3, 2, 0, 1)
            self.groups = 1
        self.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(w)))
        self.bias = nn.Parameter(torch.from_numpy(bias)) if bias is not None else None
        self.activation = config.get("activation", "linear")

    def forward(self, x):
        if self.padding == "same":
            kh, kw = self.weight.shape[2:]
            top, bottom = tf_same_pads(x.shape[2], kh, self.stride[0], self.dilation[0])
            left, right = tf_same_pads(x.shape[3], kw, self.stride[1], self.dilation[1])
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom))
        y = F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return apply_activation(y, self.activation)


def apply_activation(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return F.relu(x)
    if name == "relu6":
        return F.relu6(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "softmax":
        return F.softmax(x, dim=1)
    raise ValueError(f"unsupported activation {name}")


class Interpreter(nn.Module):
    """Executes the functional graph in file order (Keras writes layers topologically)."""

    def __init__(self, model_dir, output_layer=None):
        super().__init__()
        with open(os.path.join(model_dir, "model.json")) as f:
            model_json = json.load(f)
        topology = model_json["modelTopology"]
        config = (topology.get("model_config") or topology)["config"]
        weights = load_weights(model_dir, model_json["weightsManifest"])
        self.plan = []
        self.mods = nn.ModuleDict()
        for layer in config["layers"]:
            cls, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
            inputs = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            w = lambda suffix: weights.get(f"{name}/{suffix}")
            if cls == "Conv2D":
                self.mods[name] = KerasConv(cfg, w("kernel"), w("bias"), depthwise=False)
            elif cls == "DepthwiseConv2D":
                self.mods[name] = KerasConv(cfg, w("depthwise_kernel"), w("bias"), depthwise=True)
            elif cls == "BatchNormalization":
                bn = nn.BatchNorm2d(len(w("moving_mean")), eps=cfg["epsilon"])
                with torch.no_grad():
                    bn.weight.copy_(torch.from_numpy(w("gamma")))
                    bn.bias.copy_(torch.from_numpy(w("beta")))
                    bn.running_mean.copy_(torch.from_numpy(w("moving_mean")))
                    bn.running_var.copy_(torch.from_numpy(w("moving_variance")))
                self.mods[name] = bn
            elif cls == "Dense":
                linear = nn.Linear(*w("kernel").shape, bias=w("bias") is not None)
                with torch.no_grad():
                    linear.weight.copy_(torch.from_numpy(w("kernel").T.copy()))
                    if w("bias") is not None:
                        linear.bias.copy_(torch.from_numpy(w("bias")))
                self.mods[name] = linear
            elif cls not in ("InputLayer", "ZeroPadding2D", "ReLU", "Add", "Activation", "GlobalAveragePooling2D", "Dropout"):
                raise ValueError(f"tfjs_port: unsupported layer {cls} ({name})")
            self.plan.append((cls, name, cfg, inputs))
            if name == output_layer:
                break
        self.output_name = self.plan[-1][1]

    def forward(self, x):
        values = {}
        for cls, name, cfg, inputs in self.plan:
            args = [values[i] for i in inputs]
            if cls == "InputLayer":
                y = x
            elif cls in ("Conv2D", "DepthwiseConv2D", "BatchNormalization"):
                y = self.mods[name](args[0])
            elif cls == "ZeroPadding2D":
                (top, bottom), (left, right) = cfg["padding"]
                y = F.pad(args[0], (left, right, top, bottom))
            elif cls == "ReLU":
                y = F.relu(args[0])
                if cfg.get("max_value") is not None:
                    y = torch.clamp(y, max=float(cfg["max_value"]))
            elif cls == "Add":
                y = args[0]
                for other in args[1:]:
                    y = y + other
            elif cls == "Activation":
                y = apply_activation(args[0], cfg["activation"])
            elif cls == "GlobalAveragePooling2D":
                y = args[0].mean(dim=(2, 3))
            elif cls == "Dense":
                y = apply_activation(self.mods[name](args[0]), cfg.get("activation"))
            elif cls == "Dropout":
                y = F.dropout(args[0], cfg.get("rate", 0.0), self.training)
            values[name] = y
        return values[self.output_name]
