"""The PyTorch transfer-learning tutorial recipe (ants vs bees) on Ferry's MobileNetV2 weights.

Faithful to the tutorial: RandomResizedCrop(224) + RandomHorizontalFlip for train, Resize(256) +
CenterCrop(224) for val, batch 4, SGD(lr=1e-3, momentum=0.9), StepLR(7, 0.1), 25 epochs,
CrossEntropyLoss, best val accuracy kept; model.train() during the train phase (so BatchNorm
uses batch statistics even in the fixed-extractor mode, as in the tutorial). Normalize(0.5, 0.5)
is the backbone's x/127.5 - 1. Prints one JSON line with accuracy and wall time.

The backbone is mobilenet_v2.py's native module (--impl native, the default: plain convolutions,
no graph interpreted per call) or tfjs_port.py's interpreter (--impl interpreter). Fixed mode
can keep the frozen backbone in eval mode (--backbone-mode eval: running BatchNorm statistics,
which a frozen extractor arguably should use), and then runs it with BatchNorm folded into the
convolutions, channels-last and without autograd — the fastest honest form of the same recipe.

Usage: train.py --data DIR --backbone DIR --mode fixed|finetune [--epochs 25] [--device cpu|cuda] [--threads N]
       [--batch-size 4] [--workers 2] [--impl native|interpreter] [--backbone-mode train|eval]
       [--channels-last]   (bench/gpu/run-on-device.sh runs it with --device cuda)
"""
import argparse
import copy
import json
import os
import time

import torch
import torch.nn as nn
from torchvision import datasets, transforms

from mobilenet_v2 import MobileNetV2Features, fuse_for_inference
from tfjs_port import Interpreter

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--backbone", required=True)
parser.add_argument("--mode", choices=["fixed", "finetune"], required=True)
parser.add_argument("--epochs", type=int, default=25)
parser.add_argument("--batch-size", type=int, default=4)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--device", default="cpu")
parser.add_argument("--threads", type=int, default=0)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--impl", choices=["native", "interpreter"], default="native")
parser.add_argument("--backbone-mode", choices=["train", "eval"], default="train")
parser.add_argument("--channels-last", action="store_true")
args = parser.parse_args()
if args.backbone_mode == "eval" and args.mode != "fixed":
    parser.error("--backbone-mode eval applies to --mode fixed (a frozen backbone)")

start = time.time()
torch.manual_seed(args.seed)
if args.threads:
    torch.set_num_threads(args.threads)
device = torch.device(args.device)
normalize = transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
data_transforms = {
    "train": transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), normalize]),
    "val": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize]),
}
image_datasets = {x: datasets.ImageFolder(os.path.join(args.data, x), data_transforms[x]) for x in ["train", "val"]}
loaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=args.batch_size, shuffle=(x == "train"),
                                          num_workers=args.workers) for x in ["train", "val"]}
sizes = {x: len(image_datasets[x]) for x in ["train", "val"]}


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        if args.impl == "interpreter":
            self.backbone = Interpreter(args.backbone, "out_relu")
        else:
            self.backbone = MobileNetV2Features(args.backbone)
        if args.backbone_mode == "eval":
            self.backbone = fuse_for_inference(self.backbone)
        self.fc = nn.Linear(1280, len(image_datasets["train"].classes))

    def train(self, mode=True):
        super().train(mode)
        if args.backbone_mode == "eval":
            self.backbone.eval()  # frozen and in eval mode in both phases
        return self

    def forward(self, x):
        if args.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if args.backbone_mode == "eval":
            with torch.no_grad():
                features = self.backbone(x).mean(dim=(2, 3))
        else:
            features = self.backbone(x).mean(dim=(2, 3))
        return self.fc(features)


model = Classifier().to(device)
if args.channels_last:
    model = model.to(memory_format=torch.channels_last)
if args.mode == "fixed":
    for p in model.backbone.parameters():
        p.requires_grad = False
    params = model.fc.parameters()
else:
    params = model.parameters()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params, lr=0.001, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)

best_acc, best_weights, history, train_images = 0.0, None, [], 0
train_seconds = 0.0
epoch_seconds = 0.0  # train + val phases: what Ferry's per-epoch images/s divides by
for epoch in range(args.epochs):
    for phase in ["train", "val"]:
        model.train() if phase == "train" else model.eval()
        t0 = time.time()
        running_loss, running_correct = 0.0, 0
        for inputs, labels in loaders[phase]:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            with torch.set_grad_enabled(phase == "train"):
                outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == "train":
                    loss.backward()
                    optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_correct += int((outputs.argmax(1) == labels).sum())
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()  # GPU work is asynchronous: count it in the phase that queued it
        if phase == "train":
            scheduler.step()
            train_seconds += time.time() - t0
            train_images += sizes["train"]
        epoch_seconds += time.time() - t0
        acc = running_correct / sizes[phase]
        history.append({"epoch": epoch, "phase": phase, "loss": running_loss / sizes[phase], "acc": acc})
        if phase == "val" and acc > best_acc:
            best_acc, best_weights = acc, copy.deepcopy(model.state_dict())

print(json.dumps({
    "peer": "pytorch-tutorial", "mode": args.mode, "device": args.device, "torch": torch.__version__,
    "threads": torch.get_num_threads(), "workers": args.workers, "impl": args.impl,
    "backbone_mode": args.backbone_mode, "channels_last": args.channels_last, "epochs": args.epochs, "best_val_acc": best_acc,
    "final_val_acc": history[-1]["acc"], "wall_seconds": time.time() - start,
    "train_images_per_second": train_images / train_seconds if train_seconds else None,
    "epoch_images_per_second": train_images / epoch_seconds if epoch_seconds else None,
    "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
    "history": history,
}))
