"""What Step Functions checks in a definition before it accepts it, beyond the ASL grammar moto parses.

CreateStateMachine and UpdateStateMachine refuse (InvalidDefinition) a definition whose `StartAt`,
`Next`, `Default`, `Choices[].Next` or `Catch[].Next` names a state that does not exist, and one with a
state nothing leads to, in the machine and in each Parallel branch and Map processor (each its own
scope). moto's parser accepted both, so a saga whose failure path named a missing state deployed
offline and failed only when an execution got there. The messages are AWS's:

    Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at
    /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["problems", "message"]


def problems(definition: Any) -> list[str]:
    """AWS's diagnostics for a parsed definition, in its order (missing targets, then unreachable states)."""
    found: list[str] = []
    _scope(definition, "", found)
    return found


def message(definition_text: str) -> str | None:
    """The InvalidDefinition message for a definition's text, or None when Step Functions accepts it."""
    try:
        definition = json.loads(definition_text)
    except ValueError:
        return None  # the grammar check already answered
    found = problems(definition)
    return f"Invalid State Machine Definition: '{', '.join(found)}'" if found else None


def _transitions(state: dict[str, Any], here: str) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    if "Next" in state:
        out.append((state["Next"], f"{here}/Next"))
    if "Default" in state:
        out.append((state["Default"], f"{here}/Default"))
    for key in ("Choices", "Catch"):
        for index, rule in enumerate(state.get(key) or []):
            if isinstance(rule, dict) and "Next" in rule:
                out.append((rule["Next"], f"{here}/{key}[{index}]/Next"))
    return out


def _scope(machine: Any, base: str, found: list[str]) -> None:
    if not isinstance(machine, dict) or not isinstance(machine.get("States"), dict):
        return
    states: dict[str, Any] = machine["States"]
    start = machine.get("StartAt")
    if not isinstance(start, str) or start not in states:
        found.append(f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {start} at {base}/StartAt")
    edges: dict[str, list[str]] = {}
    nested: list[tuple[Any, str]] = []
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = f"{base}/States/{name}"
        edges[name] = []
        for target, where in _transitions(state, here):
            if isinstance(target, str) and target in states:
                edges[name].append(target)
            else:
                found.append(f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at {where}")
        nested += [(branch, f"{here}/Branches[{i}]") for i, branch in enumerate(state.get("Branches") or [])]
        nested += [(state[key], f"{here}/{key}") for key in ("Iterator", "ItemProcessor") if key in state]
    if isinstance(start, str) and start in states:
        reached, todo = {start}, [start]
        while todo:
            for target in edges.get(todo.pop(), []):
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        found += [f'MISSING_TRANSITION_TARGET: State "{name}" is not reachable. at {base}/States/{name}'
                  for name in states if name not in reached]
    for inner, where in nested:
        _scope(inner, where, found)
