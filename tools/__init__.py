"""The course's command-line tools, run from the repository root as modules:

python -m tools.run_notebooks   # make run / make execute
python -m tools.navigation      # make nav
python -m tools.exercises       # make exercises: student notebooks from the instructor versions
python -m tools.grade DIR       # make grade SUBMISSIONS=DIR
"""
