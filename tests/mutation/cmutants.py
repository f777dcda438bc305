"""Mutants of the emulator's C (csrc/emu): a small, conservative generator.

Only lines it can change safely are touched, one change per mutant, the rest of the file byte for byte:

* ``rel``: a relational operator flipped at its boundary (``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``) in
  the condition of an ``if``/``while``/``for``, a ``return`` or a ``?:``;
* ``logic``: ``&&`` <-> ``||`` in the same places;
* ``check``: an ``if`` whose statement returns (an error, mostly) disabled: ``if (c)`` -> ``if (0 && (c))``,
  only when the condition closes on the same line;
* ``code``: the error code of ``emu_fail(CODE, ...)`` or ``return CODE;`` swapped for a neighbour;
* ``drop``: a single-line expression statement (a call or an assignment, parentheses balanced on the line, the
  previous line ending a statement or a condition) replaced by an empty statement.

Comments, string and character literals are masked before matching; preprocessor lines, macro continuations and
declarations are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List

#: code -> the code a ``code`` mutant puts instead (a neighbour a careless edit could pick)
SWAPS = {
    "ACL_ERROR_INVALID_PARAM": "ACL_ERROR_RT_PARAM_INVALID",
    "ACL_ERROR_RT_PARAM_INVALID": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_RT_INVALID_HANDLE": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_UNINITIALIZE": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_REPEAT_INITIALIZE": "ACL_ERROR_REPEAT_FINALIZE",
    "ACL_ERROR_REPEAT_FINALIZE": "ACL_ERROR_REPEAT_INITIALIZE",
    "ACL_ERROR_RT_CONTEXT_NULL": "ACL_ERROR_RT_INVALID_HANDLE",
    "ACL_ERROR_RT_MEMORY_ALLOCATION": "ACL_ERROR_BAD_ALLOC",
    "ACL_ERROR_BAD_ALLOC": "ACL_ERROR_RT_MEMORY_ALLOCATION",
    "ACL_ERROR_INVALID_MODEL_ID": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_MODEL_INPUT_NOT_MATCH": "ACL_ERROR_MODEL_OUTPUT_NOT_MATCH",
    "ACL_ERROR_MODEL_OUTPUT_NOT_MATCH": "ACL_ERROR_MODEL_INPUT_NOT_MATCH",
    "ACL_ERROR_INVALID_FILE": "ACL_ERROR_INVALID_FILE_SIZE",
    "ACL_ERROR_INVALID_FILE_SIZE": "ACL_ERROR_INVALID_FILE",
    "ACL_ERROR_PARSE_MODEL": "ACL_ERROR_INVALID_FILE",
    "ACL_ERROR_UNSUPPORTED_JPEG": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_INVALID_DEVICE": "ACL_ERROR_RT_INVALID_DEVICEID",
    "ACL_ERROR_RT_INVALID_DEVICEID": "ACL_ERROR_INVALID_DEVICE",
    "ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_MODEL_NOT_DYNAMIC": "ACL_ERROR_INVALID_PARAM",
    "ACL_ERROR_API_NOT_SUPPORT": "ACL_ERROR_FEATURE_UNSUPPORTED",
    "ACL_ERROR_FEATURE_UNSUPPORTED": "ACL_ERROR_API_NOT_SUPPORT",
}
_DEFAULT_SWAP = "ACL_ERROR_INVALID_PARAM"

_REL = re.compile(r"(?<![<>=!&|+\-*/%^])(<=|>=|==|!=|<|>)(?![<>=])")
_REL_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_LOGIC = re.compile(r"&&|\|\|")
_CONDITION_LINE = re.compile(r"\b(if|while|for)\s*\(|\breturn\b|\?")
_CODE = re.compile(r"\b(emu_fail\s*\(\s*|return\s+)(ACL_ERROR_[A-Z0-9_]+)\b")
_DECLARATION = re.compile(
    r"^\s*(?:(?:static|const|volatile|unsigned|signed|struct|enum|union|register|extern|_Atomic)\s+)*"
    r"(?:int|char|bool|long|short|float|double|void|size_t|ssize_t|u?int(?:8|16|32|64|ptr)_t|[A-Za-z_]\w*_t|"
    r"acl\w*|emu_\w+|dvpp_\w+|plane|FILE)\b[\s*]*[A-Za-z_]\w*\s*(?:[=\[;,(]|$)")
_STATEMENT = re.compile(r"^\s*(?:\*?\s*[A-Za-z_][\w.\->\[\]]*\s*(?:[-+*/|&^]?=|\+\+|--)|[A-Za-z_]\w*\s*\().*;\s*$")
_NOT_STATEMENT = re.compile(r"^\s*(?:return|break|continue|goto|case|default|else|do|if|for|while|switch)\b")


@dataclass(frozen=True)
class CMutant:
    path: str  #: relative to the repository root
    line: int  #: 1-based
    kind: str
    before: str
    after: str

    def apply(self, text: str) -> str:
        lines = text.split("\n")
        if lines[self.line - 1] != self.before:
            raise ValueError("%s:%d changed since the mutant was made" % (self.path, self.line))
        lines[self.line - 1] = self.after
        return "\n".join(lines)

    @property
    def description(self) -> str:
        return "%s:%d %s" % (self.path, self.line, self.kind)


def mask(lines: List[str]) -> List[str]:
    """The lines with comments, string and character literals blanked out (same lengths), so that operators and
    braces are only found in code."""
    out = []
    in_comment = False
    for line in lines:
        chars = list(line)
        i, n = 0, len(line)
        while i < n:
            if in_comment:
                end = line.find("*/", i)
                stop = n if end < 0 else end + 2
                for k in range(i, stop):
                    chars[k] = " "
                in_comment = end < 0
                i = stop
                continue
            c = line[i]
            if line.startswith("//", i):
                for k in range(i, n):
                    chars[k] = " "
                break
            if line.startswith("/*", i):
                in_comment = True
                continue
            if c in "\"'":
                k = i + 1
                while k < n and line[k] != c:
                    k += 2 if line[k] == "\\" else 1
                for j in range(i + 1, min(k, n)):
                    chars[j] = "x"
                i = k + 1
                continue
            i += 1
        out.append("".join(chars))
    return out


def _condition_end(code: str, open_at: int) -> int:
    """Index of the ')' closing the '(' at open_at on this line, or -1."""
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


def mutants(path: str, text: str) -> Iterator[CMutant]:
    lines = text.split("\n")
    code_lines = mask(lines)
    depth = 0
    previous = ""  # the last non-blank masked line
    in_macro = False
    for number, (line, code) in enumerate(zip(lines, code_lines), 1):
        stripped = code.strip()
        macro = in_macro or stripped.startswith("#")
        in_macro = macro and code.rstrip().endswith("\\")
        if macro or not stripped:
            if stripped:
                previous = stripped
            continue
        if depth >= 1:
            yield from _line_mutants(path, number, line, code, stripped, previous, lines, code_lines)
        depth += code.count("{") - code.count("}")
        previous = stripped


def _line_mutants(path: str, number: int, line: str, code: str, stripped: str, previous: str, lines: List[str],
                  code_lines: List[str]) -> Iterator[CMutant]:
    def make(kind: str, start: int, end: int, replacement: str) -> CMutant:
        return CMutant(path, number, kind, line, line[:start] + replacement + line[end:])

    if _CONDITION_LINE.search(code):
        for m in _REL.finditer(code):
            yield make("rel", m.start(), m.end(), _REL_FLIP[m.group()])
        for m in _LOGIC.finditer(code):
            yield make("logic", m.start(), m.end(), "||" if m.group() == "&&" else "&&")
    m = re.match(r"^\s*(?:}\s*else\s+)?if\s*\(", code)
    if m:
        open_at = m.end() - 1
        close = _condition_end(code, open_at)
        rest = code[close + 1:].strip() if close > 0 else ""
        following = code_lines[number].strip() if number < len(code_lines) else ""
        returns = rest.startswith("return") or (rest in ("", "{") and following.startswith("return"))
        if close > 0 and returns:
            cond = line[open_at + 1:close]
            yield make("check", open_at, close + 1, "(0 && (%s))" % cond)
    for m in _CODE.finditer(code):
        old = m.group(2)
        new = SWAPS.get(old, _DEFAULT_SWAP if old != _DEFAULT_SWAP else "ACL_ERROR_RT_PARAM_INVALID")
        yield make("code", m.start(2), m.end(2), new)
    if (_STATEMENT.match(code) and not _NOT_STATEMENT.match(code) and not _DECLARATION.match(code)
            and code.count("(") == code.count(")") and previous.endswith((";", "{", "}", ")", ":"))
            and not previous.endswith("else")):
        indent = line[:len(line) - len(line.lstrip())]
        yield CMutant(path, number, "drop", line, indent + ";")
