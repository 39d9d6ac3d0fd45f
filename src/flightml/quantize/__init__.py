"""Quantization: the `quantize` stage (ONNX Runtime static int8)."""
