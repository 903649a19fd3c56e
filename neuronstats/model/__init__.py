"""The vanilla encoder–decoder, its training loop and greedy decoding."""
