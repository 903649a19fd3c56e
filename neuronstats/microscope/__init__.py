"""The microscope: record every neuron and gate at every step (:mod:`.record`, the
paper's time index), and decode under interventions on chosen neurons
(:mod:`.intervene`)."""
