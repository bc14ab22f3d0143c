"""Executable checks of the paper's lemmas and bounds."""
