"""The paper's 3-stage method (Section 3) as a general tool:
stage 1 candidates (probe + RFE) → stage 2 filter (integrated gradients) → stage 3
verification (interventions with random-neuron controls)."""
