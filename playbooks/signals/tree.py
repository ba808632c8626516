"""Validation of a signal: a JSON tree of AND/OR groups of conditions over the metric registry.

    {"match": "all", "conditions": [
        {"metric": "workspace_count", "operator": "gte", "value": 3},
        {"match": "any", "conditions": [
            {"metric": "penetration", "operator": "lt", "value": 10},
            {"metric": "usage_growth", "operator": "gt", "value": 20, "params": {"months": 3}}]}]}

A signal is data, never code: only registered metrics, the operators their type allows and values
of the right type pass. Every error names the condition ("Condition 2.1 (Industry): …") so the
admin form and the API can say which one to fix. ``signal_validate`` returns the normalised tree
(parameters filled in with their defaults, numbers as numbers).
"""
import math

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from playbooks.signals.registry import (
    AGE,
    CHOICE,
    DATE,
    METRICS,
    MONEY_T,
    NUMBER,
    OPERATORS,
    PERCENT,
    RANK,
    TEAM,
    TEXT,
    USER,
    Metric,
)

MAX_DEPTH = 4
MAX_CONDITIONS = 30
MAX_LIST = 200
MAX_DAYS = 3650
NUMERIC = (NUMBER, MONEY_T, PERCENT, RANK, AGE)


class _Invalid(Exception):
    pass


def _number(value, metric: Metric):
    if isinstance(value, bool) or value is None:
        raise _Invalid("the value must be a number")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            raise _Invalid(f"the value {value!r} is not a number") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid("the value must be a number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if metric.type == AGE and (not isinstance(value, int) or value < 0):
        raise _Invalid("days must be a whole number, 0 or more")
    if metric.type == RANK and not 0 <= value <= 100:
        raise _Invalid("a percentile rank lies between 0 and 100")
    return value


def _scalar(value, metric: Metric, ids: dict):
    if metric.type in NUMERIC:
        return _number(value, metric)
    if metric.type == TEXT:
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise _Invalid("the value must be a non-empty text")
        return value.strip()
    if metric.type == CHOICE:
        allowed = {str(key) for key, _label in metric.choices()}
        if not isinstance(value, str) or value not in allowed:
            raise _Invalid(f"the value must be one of: {', '.join(repr(k) for k in sorted(allowed))}")
        return value
    if metric.type in (USER, TEAM):
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise _Invalid(f"the value must be a {'user' if metric.type == USER else 'team'} id")
        ids.setdefault(metric.type, set()).add(int(value))
        return int(value)
    raise _Invalid("this metric takes no value")  # pragma: no cover - date metrics only use within_days


def _days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise _Invalid(f"the number of days must be a whole number from 1 to {MAX_DAYS}")
    return value


def _condition(node: dict, path: str, ids: dict) -> dict:
    key = node.get("metric")
    metric = METRICS.get(key) if isinstance(key, str) else None
    if metric is None:
        raise ValidationError(f"Condition {path}: unknown metric {key!r}.")
    where = f"Condition {path} ({metric.label})"
    if not metric.available():
        raise ValidationError(f"{where}: this metric is not available yet (it needs the {metric.area} data).")
    unknown_keys = set(node) - {"metric", "operator", "value", "params"}
    if unknown_keys:
        raise ValidationError(f"{where}: unexpected key(s) {', '.join(sorted(unknown_keys))}.")
    op = node.get("operator")
    if op not in OPERATORS:
        raise ValidationError(f"{where}: unknown operator {op!r}.")
    if op not in metric.operators:
        allowed = ", ".join(OPERATORS[o] for o in metric.operators)
        raise ValidationError(
            f"{where}: the operator “{OPERATORS[op]}” does not fit a {metric.type} metric (use {allowed})."
        )
    clean: dict = {"metric": key, "operator": op}
    params = node.get("params") or {}
    if not isinstance(params, dict) or set(params) - {p.key for p in metric.params}:
        raise ValidationError(f"{where}: unknown parameter(s).")
    if metric.params:
        values = {}
        for param in metric.params:
            raw = params.get(param.key, param.default)
            if isinstance(raw, bool) or not isinstance(raw, int) or not param.low <= raw <= param.high:
                raise ValidationError(f"{where}: {param.label.lower()} must be a whole number from {param.low} to {param.high}.")
            values[param.key] = raw
        clean["params"] = values
    value = node.get("value")
    try:
        if op == "above_average":
            if value not in (None, ""):
                raise _Invalid("“above average” takes no value")
        elif op == "above_percentile":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
                raise _Invalid("the percentile must be a whole number from 1 to 99")
            clean["value"] = value
        elif op == "within_days":
            clean["value"] = _days(value)
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise _Invalid("“between” needs two values, low and high")
            low, high = (_scalar(v, metric, ids) for v in value)
            if low > high:
                raise _Invalid(f"the low value {low} is above the high value {high}")
            clean["value"] = [low, high]
        elif op == "in":
            if not isinstance(value, list) or not value:
                raise _Invalid("“in” needs a non-empty list of values")
            if len(value) > MAX_LIST:
                raise _Invalid(f"“in” takes at most {MAX_LIST} values")
            clean["value"] = [_scalar(v, metric, ids) for v in value]
        else:
            clean["value"] = _scalar(value, metric, ids)
    except _Invalid as exc:
        raise ValidationError(f"{where}: {exc}.") from None
    if metric.type == DATE and op != "within_days":  # pragma: no cover - excluded by TYPE_OPERATORS
        raise ValidationError(f"{where}: dates are tested with “within the last N days”.")
    clean["_path"] = path
    return clean


def _group(node: dict, path: str, depth: int, errors: list, ids: dict, counter: list) -> dict:
    label = f"Group {path}" if path else "The signal"
    match = node.get("match", "all")
    if match not in ("all", "any"):
        errors.append(f"{label}: “match” must be “all” (AND) or “any” (OR), not {match!r}.")
        match = "all"
    children = node.get("conditions")
    if not isinstance(children, list) or not children:
        errors.append(f"{label} is empty: add at least one condition." if path else
                      "The signal is empty: add at least one condition.")
        return {"match": match, "conditions": []}
    if depth > MAX_DEPTH:
        errors.append(f"{label}: groups nest at most {MAX_DEPTH} deep.")
        return {"match": match, "conditions": []}
    clean = []
    for index, child in enumerate(children, start=1):
        child_path = f"{path}.{index}" if path else str(index)
        if not isinstance(child, dict):
            errors.append(f"Condition {child_path}: must be an object.")
            continue
        if "conditions" in child or "match" in child:
            clean.append(_group(child, child_path, depth + 1, errors, ids, counter))
            continue
        counter[0] += 1
        try:
            clean.append(_condition(child, child_path, ids))
        except ValidationError as exc:
            errors.extend(exc.messages)
    return {"match": match, "conditions": clean}


def _check_ids(ids: dict, tree: dict, errors: list) -> None:
    from accounts.models import Team

    models = {USER: get_user_model(), TEAM: Team}
    for kind, wanted in ids.items():
        existing = set(models[kind].objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for missing in sorted(wanted - existing):
            for path, condition in iter_conditions(tree):
                values = condition.get("value")
                values = values if isinstance(values, list) else [values]
                if METRICS[condition["metric"]].type == kind and missing in values:
                    errors.append(f"Condition {path} ({METRICS[condition['metric']].label}): no {kind} with id {missing}.")


def iter_conditions(tree: dict):
    """(path, condition) of every condition, depth first, in order."""
    for child in tree.get("conditions", []):
        if "conditions" in child:
            yield from iter_conditions(child)
        else:
            yield child.get("_path", ""), child


def _strip_paths(node: dict) -> dict:
    if "conditions" in node:
        return {"match": node["match"], "conditions": [_strip_paths(c) for c in node["conditions"]]}
    return {k: v for k, v in node.items() if k != "_path"}


def signal_validate(signal, *, keep_paths: bool = False) -> dict:
    """The normalised signal, or ValidationError listing every problem (each naming its condition)."""
    if isinstance(signal, str):
        import json

        try:
            signal = json.loads(signal)
        except ValueError as exc:
            raise ValidationError(f"The signal is not valid JSON: {exc}.") from None
    if not isinstance(signal, dict) or not signal:
        raise ValidationError("The signal is empty: add at least one condition.")
    if "metric" in signal:  # a lone condition is a group of one
        signal = {"match": "all", "conditions": [signal]}
    errors: list[str] = []
    ids: dict = {}
    counter = [0]
    tree = _group(signal, "", 1, errors, ids, counter)
    if counter[0] > MAX_CONDITIONS:
        errors.append(f"The signal has {counter[0]} conditions; at most {MAX_CONDITIONS} are allowed.")
    if ids and not errors:
        _check_ids(ids, tree, errors)
    if errors:
        raise ValidationError(errors)
    return tree if keep_paths else _strip_paths(tree)
