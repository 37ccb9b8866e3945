"""Shared pytest setup: deterministic hypothesis runs in CI, and a clean global state
(default dtype, grad mode, print options) around every test."""

import os
import sys

import pytest
from hypothesis import settings

import ember

# tests in subfolders import the shared helpers (differential.py, module_check.py)
sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40,
                          print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _restore_global_state():
    dtype = ember.get_default_dtype()
    grad = ember.is_grad_enabled()
    yield
    ember.set_default_dtype(dtype)
    ember.set_grad_enabled(grad)
