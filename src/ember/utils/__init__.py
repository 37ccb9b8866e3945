"""ember.utils: data loading (`ember.utils.data`) and weight files (`ember.utils.safetensors`,
which needs the optional `safetensors` package only when used)."""

from . import data, safetensors
