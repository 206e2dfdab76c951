"""The grading copy of the nbgrader course (`<out>/course`), its gradebook and the run state."""
