"""Symbolic derivations of motif kernels (SymPy); never imports a numeric backend."""
