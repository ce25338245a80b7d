"""The old import path of the exercise checkers, now :mod:`tlhelpers.exercises` (one module per notebook).

Kept for notebooks already handed out, whose check cells call ``exercise_checks.check_...``, and for the
graded hidden tests, which load this file afresh (:mod:`tlhelpers.hidden_tests`).
"""

from tlhelpers.exercises.checks import check_accuracy_near
from tlhelpers.exercises.notebook01 import (
    check_cheapest_80,
    check_shirt_categories,
    check_training_flops,
    check_unnormalised_probability,
)
from tlhelpers.exercises.notebook02 import (
    check_features_shape,
    check_hardest_class,
    check_resnet_head_swap,
    check_weak_classes,
)
from tlhelpers.exercises.notebook03 import (
    check_batchnorm_fix,
    check_cartoon_accuracy,
    check_early_layer_accuracy,
    check_training_loop,
)
from tlhelpers.exercises.notebook04 import (
    check_best_epoch,
    check_strong_augment,
    check_two_groups,
    check_two_stage,
)
from tlhelpers.exercises.notebook05 import (
    check_crossover,
    check_farthest_class,
    check_layers_closer,
    check_paired_margin,
)
from tlhelpers.exercises.notebook06 import (
    check_kendall_tau,
    check_selection_regret,
)

__all__ = [
    "check_shirt_categories",
    "check_cheapest_80",
    "check_unnormalised_probability",
    "check_training_flops",
    "check_resnet_head_swap",
    "check_features_shape",
    "check_hardest_class",
    "check_weak_classes",
    "check_batchnorm_fix",
    "check_early_layer_accuracy",
    "check_cartoon_accuracy",
    "check_training_loop",
    "check_two_groups",
    "check_two_stage",
    "check_strong_augment",
    "check_best_epoch",
    "check_layers_closer",
    "check_crossover",
    "check_farthest_class",
    "check_paired_margin",
    "check_selection_regret",
    "check_kendall_tau",
    "check_accuracy_near",
]
