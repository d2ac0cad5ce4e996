"""Proves the port before any timing: features of real photos equal tfjs' within 1e-4.

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

from tfjs_port import Interpreter

model_dir, images = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
preprocess = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                 transforms.Normalize([0.5] * 3, [0.5] * 3)])
batch = torch.stack([preprocess(Image.open(p).convert("RGB")) for p in images])
model = Interpreter(model_dir, "out_relu").eval()
with torch.no_grad():
    ours = model(batch).permute(0, 2, 3, 1).numpy()  # NHWC like tfjs
with tempfile.TemporaryDirectory() as tmp:
    batch.permute(0, 2, 3, 1).numpy().astype("<f4").tofile(os.path.join(tmp, "input.f32"))
    subprocess.run(["node", os.path.join(here, "tfjs-features.mjs"), model_dir, tmp, str(len(images))], check=True)
    theirs = np.fromfile(os.path.join(tmp, "output.f32"), dtype="<f4").reshape(ours.shape)
diff = float(np.abs(ours - theirs).max())
scale = float(np.abs(theirs).max())
print(json.dumps({"images": len(images), "max_abs_diff": diff, "max_abs_feature": scale}))
if diff > 1e-4:
    sys.exit(f"port differs from tfjs by {diff} > 1e-4")
