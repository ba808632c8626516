"""No-code signals: the metric registry, validation of signal trees and their set-based evaluation.

``registry`` lists the metrics (one annotation each), ``tree`` validates a signal, ``evaluate``
turns it into one filtered company queryset.
"""
from playbooks.signals.evaluate import Evaluation, signal_count, signal_evaluate  # noqa: F401
from playbooks.signals.registry import (  # noqa: F401
    METRICS,
    OPERATORS,
    TYPE_OPERATORS,
    condition_text,
    metric_get,
    metric_keys,
    registry_for_builder,
    signal_text,
)
from playbooks.signals.tree import iter_conditions, signal_validate  # noqa: F401
