"""Radiation effects: Monte Carlo bit flips on the compiled integer model, and integrity protection in C.

- `image`: the constant model image (the `static const` arrays of model.c) and bit flips in it.
- `inject`: vectorized fault propagation through the integer reference (batched over trials and samples).
- `campaign`: Monte Carlo campaigns (accuracy against flips, sensitivity per layer and bit, worst flips).
- `cbuild`: the C build reading faulty images (confirms the reference on a sample of trials).
- `protect`: CRC-32 self-test, incremental scrubbing and voted inference generated as integrity.c/.h.
- `cost`: flash bytes and instruction counts of the protection.
- `stage`: the `faults` pipeline stage (faults.json and the summary).
"""
