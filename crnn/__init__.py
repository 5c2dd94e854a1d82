"""CRNN + CTC recognizer: model, training, decoding, checkpoints, inference."""
