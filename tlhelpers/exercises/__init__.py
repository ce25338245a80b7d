"""Exercise checking: the generic checkers, then one module of exercise checkers per notebook.

* :mod:`tlhelpers.exercises.checks` — :class:`~tlhelpers.exercises.checks.CheckResult`, the
  :func:`~tlhelpers.exercises.checks.checker` decorator and the generic checkers (``check_value``,
  ``check_close``, ``check_shape``, ``check_choice``, ``check_head``, ``check_frozen``) and
  ``check_statements`` (what a notebook's text says about its own run);
* :mod:`tlhelpers.exercises.notebook01` … :mod:`tlhelpers.exercises.notebook06` — the checkers of
  each notebook's exercises, which compute what they compare with and never print it;
* :mod:`tlhelpers.exercises.messages` — the messages in Korean: ``checks.use_language("ko")`` (or
  ``TLHELPERS_LANGUAGE=ko``) switches every checker over, and ``translate_output`` turns an English
  checker line of a stored output into the Korean one.

Every checker runs with the caller's random generators kept (a check cell never reseeds the
notebook) and raises :class:`~tlhelpers.exercises.checks.CheckerMisuse` when called wrongly.
The old import paths ``tlhelpers.checks`` and ``tlhelpers.exercise_checks`` still work.
"""
