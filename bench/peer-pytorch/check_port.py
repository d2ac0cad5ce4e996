"""Proves the ports before any timing: features of real photos equal tfjs' within 1e-4.

Checks every backbone the peers run: the graph interpreter (tfjs_port.py), the native module
(mobilenet_v2.py) in train and eval form, and its BatchNorm-folded eval form (pooled features,
as features.py uses it), channels-last included.

Usage: check_port.py MODEL_DIR IMAGES... ; writes inputs for tfjs-features.mjs and compares.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from mobilenet_v2 import MobileNetV2Features, fuse_for_inference
from tfjs_port import Interpreter

model_dir, images = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
preprocess = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                 transforms.Normalize([0.5] * 3, [0.5] * 3)])
batch = torch.stack([preprocess(Image.open(p).convert("RGB")) for p in images])
ports = {
    "interpreter": Interpreter(model_dir, "out_relu").eval(),
    "native": MobileNetV2Features(model_dir).eval(),
}
fused = fuse_for_inference(MobileNetV2Features(model_dir, pool=True))
with torch.no_grad():
    maps = {name: m(batch).permute(0, 2, 3, 1).numpy() for name, m in ports.items()}  # NHWC like tfjs
    pooled = {
        "native-fused": fused(batch).numpy(),
        "native-fused-channels-last": fused.to(memory_format=torch.channels_last)(
            batch.contiguous(memory_format=torch.channels_last)).numpy(),
    }
ours = maps["interpreter"]
with tempfile.TemporaryDirectory() as tmp:
    batch.permute(0, 2, 3, 1).numpy().astype("<f4").tofile(os.path.join(tmp, "input.f32"))
    subprocess.run(["node", os.path.join(here, "tfjs-features.mjs"), model_dir, tmp, str(len(images))], check=True)
    theirs = np.fromfile(os.path.join(tmp, "output.f32"), dtype="<f4").reshape(ours.shape)
diffs = {name: float(np.abs(m - theirs).max()) for name, m in maps.items()}
theirs_pooled = theirs.mean(axis=(1, 2))
diffs.update({name: float(np.abs(p - theirs_pooled).max()) for name, p in pooled.items()})
diff = max(diffs.values())
scale = float(np.abs(theirs).max())
print(json.dumps({"images": len(images), "max_abs_diff": diff, "max_abs_feature": scale, "ports": diffs}))
if diff > 1e-4:
    sys.exit(f"a port differs from tfjs by {diff} > 1e-4: {diffs}")
