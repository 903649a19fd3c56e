"""neuronstats: rigorous neuron-level analysis of recurrent seq2seq models.

Replicates and statistically tests Lee, Wu, Yang & Lin (2023), "Exposing the
functionalities of neurons for gated recurrent unit based sequence-to-sequence
model". See README.md and DESIGN.md for the data flow.
"""

__version__ = "0.1.0"
