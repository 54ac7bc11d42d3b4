"""Test doubles: stand-ins for a model, for the tests and the benchmarks where no GPU or model hub is at hand.

Never imported by product code (`tests/test_architecture.py` holds that): `scripted_model.py` is an
OpenAI-compatible endpoint that plays scripted replies, `tiny_qwen.py` writes a tiny random Qwen2.5-VL.
"""
