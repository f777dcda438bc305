"""Mutants of acllite's Python, made by cosmic-ray's operators (cosmic-ray is used as a library: its operators
find the positions and rewrite the code; the runner applies, runs and scores them).

The operator set is the classic one (mutmut's and most papers'): comparison flips at their boundary and
negations, ``and``/``or``, ``True``/``False``, ``not`` added, numbers +-1, arithmetic and bit operator pairs,
``break``/``continue``, loops run zero times, exceptions replaced. Cosmic-ray's cross product of every binary
operator with every other is left out (mostly mutants no one would write), and so are log lines.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterator, List, Optional

OPERATORS = (
    ["core/ReplaceComparisonOperator_%s" % pair for pair in (
        "Eq_NotEq", "NotEq_Eq", "Lt_LtE", "LtE_Lt", "Gt_GtE", "GtE_Gt", "Lt_GtE", "Gt_LtE", "Is_IsNot", "IsNot_Is")]
    + ["core/ReplaceBinaryOperator_%s" % pair for pair in (
        "Add_Sub", "Sub_Add", "Mul_Div", "Div_Mul", "FloorDiv_Mul", "Mod_FloorDiv", "BitAnd_BitOr", "BitOr_BitAnd",
        "LShift_RShift", "RShift_LShift")]
    + ["core/ReplaceAndWithOr", "core/ReplaceOrWithAnd", "core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue",
       "core/AddNot", "core/NumberReplacer", "core/ReplaceBreakWithContinue", "core/ReplaceContinueWithBreak",
       "core/ZeroIterationForLoop", "core/ReplaceUnaryOperator_USub_UAdd", "core/ExceptionReplacer"]
)

_SKIPPED_LINE_STARTS = ("logger.", "log.", "__all__", "#")


@dataclass(frozen=True)
class PyMutant:
    path: str  #: relative to the repository root
    line: int  #: 1-based line of the change
    operator: str
    occurrence: int
    before: str  #: the changed line(s), as they were
    after: str  #: and as the mutant has them
    mutated: str  #: the whole mutated module
    position_line: int = 0  #: the line cosmic-ray reported the position at

    @property
    def kind(self) -> str:
        return self.operator.split("/", 1)[1]

    def apply(self, text: str) -> str:
        return self.mutated

    @property
    def description(self) -> str:
        return "%s:%d %s" % (self.path, self.line, self.kind)


def _changed(original: str, mutated: str) -> Optional[tuple]:
    a, b = original.split("\n"), mutated.split("\n")
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = [op for op in sm.get_opcodes() if op[0] != "equal"]
    if not ops:
        return None
    first, last = ops[0], ops[-1]
    return first[1] + 1, "\n".join(a[first[1]:last[2]]), "\n".join(b[first[3]:last[4]])


@dataclass(frozen=True)
class PyPosition:
    """Where an operator can mutate (cheap to list; :func:`materialize` makes the mutant)."""

    path: str
    line: int
    operator: str
    occurrence: int

    @property
    def description(self) -> str:
        return "%s:%d %s" % (self.path, self.line, self.operator.split("/", 1)[1])


def positions(path: str, text: str, operators: List[str] = OPERATORS) -> Iterator[PyPosition]:
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.plugins import get_operator

    lines = text.split("\n")
    module = get_ast(text)
    nodes = list(ast_nodes(module))
    for name in operators:
        operator = get_operator(name)()
        occurrence = 0
        for node in nodes:
            for start, _end in operator.mutation_positions(node):
                current = occurrence
                occurrence += 1
                line = lines[start[0] - 1]
                if line.strip().startswith(_SKIPPED_LINE_STARTS):
                    continue
                if name.endswith("_Mod_FloorDiv") and line[:start[1]].rstrip().endswith(('"', "'")):
                    continue  # string formatting, not arithmetic
                yield PyPosition(path, start[0], name, current)


def materialize(position: PyPosition, text: str) -> Optional[PyMutant]:
    """The mutant at this position, or None when the operator changes nothing there."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    mutated = mutate_code(text, get_operator(position.operator)(), position.occurrence)
    if mutated is None or mutated == text:
        return None
    change = _changed(text, mutated)
    if change is None:
        return None
    line, before, after = change
    return PyMutant(position.path, line, position.operator, position.occurrence, before, after, mutated,
                    position.line)
