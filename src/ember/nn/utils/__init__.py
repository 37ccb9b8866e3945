"""ember.nn.utils: helpers around modules (torch.nn.utils): rnn (packed sequences)."""

from . import rnn
