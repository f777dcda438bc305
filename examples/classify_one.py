"""The ACL flow in a few lines with acllite's objects: decode a JPEG on DVPP, resize it, run a model with AIPP.

    python examples/classify_one.py examples/images/cat.jpg [MODEL]

MODEL defaults to the demo model (prepared once by acllite.classify.prepare_demo_model()).
"""

import sys

import numpy as np

import acllite
from acllite.classify import prepare_demo_model
from acllite.demo.efficientnet import imagenet_classes
from acllite.dvpp import ImageProcessor
from acllite.image import Image

path = sys.argv[1]
model_path = sys.argv[2] if len(sys.argv) > 2 else prepare_demo_model()
labels = imagenet_classes()

with acllite.init(), acllite.Device(0) as device:
    with acllite.Model(model_path, device) as model, ImageProcessor(device) as dvpp:
        _, height, width, _ = model.inputs[0].shape          # the AIPP input: [N, H, W, C], YUV420SP bytes
        picture = dvpp.decode_jpeg(Image.open(path))         # JPEGD into DVPP memory (NV12)
        resized = dvpp.resize(picture, width, height)        # VPC
        (logits,) = model.execute([resized])                 # the picture goes in by pointer, no host copy
        probs = np.exp(logits[0] - logits[0].max())
        probs /= probs.sum()
        for i in np.argsort(-probs)[:5]:
            print("label:%d  confidence: %f, class: %s" % (i, probs[i], labels[i]))
        resized.close()
        picture.close()
