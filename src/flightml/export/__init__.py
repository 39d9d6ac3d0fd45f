"""Export: the `export` stage (PyTorch -> ONNX)."""
