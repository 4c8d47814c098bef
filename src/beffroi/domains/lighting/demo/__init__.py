"""The lighting domain's part of the demo territory: its inventory and its simulator.

Loaded only to build a demo (``Domain.demo``, by dotted path): nothing of the product
imports it (tests/test_demo_imports.py).
"""
