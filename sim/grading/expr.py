"""The check language: a small, safe expression language over trace records and device state.

No ``eval``: text is tokenised and parsed (precedence climbing) into a tree of nodes,
each node knows which devices and record kinds it reads, and the tree is checked
against the lab's devices and their fields before a class starts.

    expr    := implies
    implies := or ( "->" or )?                  A -> B: each time A becomes true, B must follow
    or      := and ( ("or" | "||") and )*
    and     := not ( ("and" | "&&") not )*
    not     := ("not" | "!") not | cmp
    cmp     := sum ( (">" | ">=" | "<" | "<=" | "==" | "!=") sum )?
    sum     := prod ( ("+" | "-") prod )*
    prod    := unary ( ("*" | "/") unary )*
    unary   := "-" unary | atom
    atom    := NUMBER | DURATION | STRING | dev.field | NAME "(" args ")" | "(" expr ")"

Functions: ``always(P)``, ``eventually(P)``, ``within(5s, P)``, ``count(P)`` (how many
times P became true), ``event(kind [, device])`` (true at the instant such a record
arrives), ``abs(x)``. Durations: ``500ms``, ``5s``, ``2m``, ``1h``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEMPORAL = ("always", "eventually", "within")
FUNCTIONS = {"always": 1, "eventually": 1, "within": 2, "count": 1, "event": (1, 2), "abs": 1}
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<duration>\d+(?:\.\d+)?(?:ms|s|m|h)\b)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<name>[A-Za-z_$][\w$-]*(?:\.[A-Za-z_][\w.]*)?)
  | (?P<op>->|>=|<=|==|!=|&&|\|\||[-+*/<>!(),])
""", re.VERBOSE)
_KEYWORDS = {"and": "and", "or": "or", "not": "not", "&&": "and", "||": "or", "!": "not"}


class ExprError(ValueError):
    """A problem in an expression; ``col`` is 0-based within the expression text."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.col = col


@dataclass
class Node:
    op: str                     # "num", "str", "ref", "call", "not", "neg", a binary operator, "->"
    args: list = field(default_factory=list)
    value: object = None        # number, text, (device, field) or the function name
    col: int = 0

    def walk(self):
        yield self
        for arg in self.args:
            yield from arg.walk()

    @property
    def temporal(self) -> bool:
        return any(n.op == "->" or (n.op == "call" and n.value in TEMPORAL + ("count",)) for n in self.walk())


def tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExprError(f"unexpected {text[pos]!r}", pos)
        kind = m.lastgroup
        if kind != "ws":
            word = m.group()
            if kind == "name" and word.lower() in _KEYWORDS:
                kind, word = "op", _KEYWORDS[word.lower()]
            elif kind == "op" and word in _KEYWORDS:
                word = _KEYWORDS[word]
            out.append((kind, word, pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    BINARY = [("or",), ("and",)]

    def __init__(self, text: str) -> None:
        self.text, self.toks, self.i = text, tokens(text), 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, word: str):
        tok = self.take()
        if tok[1] != word:
            found = "the end" if tok[0] == "end" else repr(tok[1])
            raise ExprError(f"expected {word!r} but found {found}", tok[2])
        return tok

    def parse(self) -> Node:
        node = self.implies()
        tok = self.peek()
        if tok[0] != "end":
            raise ExprError(f"unexpected {tok[1]!r}; an operator (and, or, ->, >, ...) or the end was expected",
                            tok[2])
        return node

    def implies(self) -> Node:
        left = self.logic(0)
        if self.peek()[1] == "->":
            col = self.take()[2]
            return Node("->", [left, self.logic(0)], col=col)
        return left

    def logic(self, level: int) -> Node:
        if level == len(self.BINARY):
            return self.negation()
        left = self.logic(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self.BINARY[level]:
            _, op, col = self.take()
            left = Node(op, [left, self.logic(level + 1)], col=col)
        return left

    def negation(self) -> Node:
        if self.peek()[1] == "not":
            col = self.take()[2]
            return Node("not", [self.negation()], col=col)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.peek()[1] in (">", ">=", "<", "<=", "==", "!="):
            op, col = self.peek()[1], self.take()[2]
            return Node(op, [left, self.additive()], col=col)
        return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op, col = self.peek()[1], self.take()[2]
            left = Node(op, [left, self.multiplicative()], col=col)
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while self.peek()[1] in ("*", "/"):
            op, col = self.peek()[1], self.take()[2]
            left = Node(op, [left, self.unary()], col=col)
        return left

    def unary(self) -> Node:
        if self.peek()[1] == "-":
            col = self.take()[2]
            return Node("neg", [self.unary()], col=col)
        return self.atom()

    def atom(self) -> Node:
        kind, word, col = self.take()
        if kind == "number":
            return Node("num", value=float(word), col=col)
        if kind == "duration":
            unit = "ms" if word.endswith("ms") else word[-1]
            return Node("num", value=float(word[:-len(unit)]) * _UNITS[unit], col=col)
        if kind == "string":
            return Node("str", value=word[1:-1], col=col)
        if kind == "op" and word == "(":
            node = self.implies()
            self.expect(")")
            return node
        if kind == "name":
            if self.peek()[1] == "(":
                return self.call(word, col)
            if "." in word:
                dev, _, fld = word.partition(".")
                return Node("ref", value=(dev, fld), col=col)
            raise ExprError(f"{word!r} is neither device.field nor a function; functions: "
                            + ", ".join(FUNCTIONS), col)
        found = "the end of the expression" if kind == "end" else repr(word)
        raise ExprError(f"expected a value, device.field or a function but found {found}", col)

    def call(self, name: str, col: int) -> Node:
        if name not in FUNCTIONS:
            close = [f for f in FUNCTIONS if f.startswith(name[:2])]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ExprError(f"unknown function {name!r}{hint}; functions: {', '.join(FUNCTIONS)}", col)
        self.expect("(")
        args: list[Node] = []
        if name == "event":                  # event(kind [, device]): bare words, not expressions
            args.append(self.word())
            if self.peek()[1] == ",":
                self.take()
                args.append(self.word())
        elif self.peek()[1] != ")":
            args.append(self.implies())
            while self.peek()[1] == ",":
                self.take()
                args.append(self.implies())
        self.expect(")")
        want = FUNCTIONS[name]
        counts = want if isinstance(want, tuple) else (want,)
        if len(args) not in counts:
            raise ExprError(f"{name}() takes {' or '.join(map(str, counts))} argument"
                            f"{'s' if max(counts) > 1 else ''}, got {len(args)}", col)
        if name == "within" and args[0].op != "num":
            raise ExprError("within(D, P) needs a duration first, e.g. within(5s, relay1.do1 == 1)", args[0].col)
        return Node("call", args, name, col)

    def word(self) -> Node:
        kind, word, col = self.take()
        if kind not in ("name", "string"):
            raise ExprError(f"event() takes a record kind and a device id, e.g. event(alarm, gw); found {word!r}",
                            col)
        return Node("str", value=word.strip("\"'"), col=col)


MAX_TEXT, MAX_DEPTH = 2000, 40


def parse(text: str) -> Node:
    """The tree of ``text``, or ExprError with the column of the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the check is empty; write an expression such as eventually(th1.online == 1)", 0)
    if len(text) > MAX_TEXT:
        raise ExprError(f"the check is {len(text)} characters; checks are at most {MAX_TEXT}", MAX_TEXT)
    try:
        node = _Parser(text).parse()
    except RecursionError:
        raise ExprError(f"the check nests too deeply; at most {MAX_DEPTH} levels", 0) from None
    if _depth(node) > MAX_DEPTH:
        raise ExprError(f"the check nests too deeply; at most {MAX_DEPTH} levels", 0)
    return node


def _depth(node: Node) -> int:
    return 1 + max((_depth(a) for a in node.args), default=0)


def placement(node: Node, condition: bool = False) -> tuple[str, int] | None:
    """Where a temporal operator stands where it cannot be judged: (message, column) or None.

    always/eventually/within/-> belong at the top of a check, under a top-level and/or, or on
    the right of ->; count() may stand anywhere but holds only plain conditions; a fault's
    ``when:`` (``condition``) takes plain conditions and count() only."""
    def plain(n: Node, where: str) -> tuple[str, int] | None:
        for sub in n.walk():
            if sub.op == "->" or (sub.op == "call" and sub.value in TEMPORAL):
                name = "->" if sub.op == "->" else sub.value + "()"
                return f"{name} cannot stand {where}", sub.col
            if sub.op == "call" and sub.value == "count" and sub is not n:
                found = plain(sub.args[0], "inside count()")
                if found:
                    return found
        return None

    if condition:
        return plain(node, "in a condition (when:); use a plain condition, e.g. th1.temperature_c > 40")

    def top(n: Node) -> tuple[str, int] | None:
        if n.op in ("and", "or") and n.temporal:
            return top(n.args[0]) or top(n.args[1])
        if n.op == "->":
            return plain(n.args[0], "on the left of -> (the trigger is a condition)") or top(n.args[1])
        if n.op == "call" and n.value in TEMPORAL:
            return plain(n.args[-1], f"inside {n.value}()")
        return plain(n, "inside an expression; put it at the top of the check, or on the right of ->")
    return top(node)


def references(node: Node) -> list[Node]:
    """Every ``device.field`` in the tree."""
    return [n for n in node.walk() if n.op == "ref"]


def event_filters(node: Node) -> list[tuple[str, str | None, int]]:
    """(kind, device or None, column) of every ``event(...)`` in the tree."""
    return [(n.args[0].value, n.args[1].value if len(n.args) > 1 else None, n.col)
            for n in node.walk() if n.op == "call" and n.value == "event"]
