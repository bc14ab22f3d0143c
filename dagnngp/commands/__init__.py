"""Sub-commands of the dagnngp CLI, one module each.

>>> from dagnngp.cli import COMMANDS
>>> sorted(COMMANDS)
['check', 'derive', 'kernel', 'mc', 'nas', 'playground', 'report', 'sweep', 'train']
"""
