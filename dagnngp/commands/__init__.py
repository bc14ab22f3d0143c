"""Sub-commands of the dagnngp CLI, one module each."""
