"""What a grading run produces: grades.csv (late penalty on the current total), manual grades, report."""
