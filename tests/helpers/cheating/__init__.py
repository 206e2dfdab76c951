"""Notebooks that cheat or attack the grader, in one place.

- forgers.py: submissions that fake passing tests inside the kernel (the outside checks must catch them);
- sandbox_escapes.py: notebooks that try to leave the sandbox (network, files, processes);
- catalog.py: the hostile catalog graded in one batch beside honest students.
"""
