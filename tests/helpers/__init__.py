"""Code the tests share: nbgrader CLI runs, EDF graph builders, cheating notebooks."""
