"""ember.utils: data loading (`ember.utils.data`) and weight files (`ember.utils.safetensors`)."""

from . import data
