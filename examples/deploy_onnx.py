"""Serve predictions from an exported model with onnxruntime only: no glasstorch, no torch.

This is the path a model takes out of Python's training world: the .onnx file holds the graph,
the weights and (from `glasstorch export`) the class names and input normalization; any ONNX
runtime (C++, C#, Java, JavaScript, mobile) can load it. Here: Python + onnxruntime + NumPy
(+ Pillow to read images).

    glasstorch train --model lenet --dataset mnist --epochs 1 --out runs/lenet
    glasstorch export runs/lenet model.onnx
    python examples/deploy_onnx.py model.onnx digit.png [more.png ...]
    python examples/deploy_onnx.py model.onnx --serve 8000   # POST a PNG to /predict
"""
import argparse
import io
import json
import sys

import numpy as np
import onnxruntime as ort


class Predictor:
    """Load once, predict many times: one InferenceSession, the metadata read from the file."""

    def __init__(self, path):
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.classes = json.loads(meta["glasstorch.classes"])
            self.channels, self.height, self.width = json.loads(meta["glasstorch.input_shape"])
            self.mean = np.array(json.loads(meta["glasstorch.mean"]), np.float32)
            self.std = np.array(json.loads(meta["glasstorch.std"]), np.float32)
        except KeyError:
            sys.exit(f"{path}: no glasstorch metadata; export it with `glasstorch export`")
        self.input_name = self.session.get_inputs()[0].name

    def preprocess(self, image_bytes):
        """PNG/JPEG bytes -> (C, H, W) float32, resized and normalized as in training."""
        from PIL import Image
        img = Image.open(io.BytesIO(image_bytes))
        img = img.convert("L" if self.channels == 1 else "RGB")
        if img.size != (self.width, self.height):
            img = img.resize((self.width, self.height), Image.BILINEAR)
        x = np.asarray(img, np.float32) / 255.0
        x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)
        return (x - self.mean[:, None, None]) / self.std[:, None, None]

    def predict(self, images, top_k=3):
        """[(class, probability), ...] top_k per image (a list of PNG/JPEG bytes)."""
        batch = np.stack([self.preprocess(b) for b in images])
        (logits,) = self.session.run(None, {self.input_name: batch})
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs = e / e.sum(1, keepdims=True)
        top = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]
        return [[(self.classes[i], float(p[i])) for i in row] for p, row in zip(probs, top)]


def serve(predictor, port):
    """A minimal HTTP endpoint: POST image bytes to /predict, get JSON back."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                result = predictor.predict([body])[0]
                reply, code = {"predictions": [{"class": c, "probability": p}
                                               for c, p in result]}, 200
            except Exception as e:  # a bad upload: say why, keep serving
                reply, code = {"error": str(e)}, 400
            data = json.dumps(reply).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    print(f"serving on http://localhost:{port}/predict")
    HTTPServer(("", port), Handler).serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="an .onnx file written by `glasstorch export`")
    parser.add_argument("images", nargs="*", help="image files to classify")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--serve", type=int, metavar="PORT", help="serve HTTP on PORT")
    args = parser.parse_args()
    predictor = Predictor(args.model)
    if args.serve:
        serve(predictor, args.serve)
        return
    for path in args.images:
        with open(path, "rb") as f:
            (best, *others), = predictor.predict([f.read()], args.top_k)
        line = f"{path}: {best[0]} ({100 * best[1]:.1f}%)"
        if others:
            line += "   next: " + ", ".join(f"{c} {100 * p:.1f}%" for c, p in others)
        print(line)


if __name__ == "__main__":
    main()
