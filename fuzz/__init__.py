"""Coverage-guided fuzzing (atheris) of what faces the internet; see targets.py and docs."""
