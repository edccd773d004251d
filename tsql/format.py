"""A canonical layout for MCE SQL that keeps every comment and changes nothing else.

Why a token-based formatter rather than sqlglot's pretty printer: regenerating SQL from the tree
rewrites it (it drops or moves comments, re-spells functions and types, adds or removes
brackets and aliases). Here the text is only re-spaced: the tokens are the original ones, in
order, with keywords and function names upper-cased (never names: a token the parse tree
reads as an identifier keeps its case, so ``SELECT date`` still yields a column ``date``).
Comments are re-emitted where they were relative to the tokens, keeping whether each started
its own line, which is also what decides the token sqlglot attaches it to.

Layout: one clause per line (SELECT, FROM, each JOIN, WHERE, GROUP BY, HAVING, ORDER BY,
UNION, OFFSET/FETCH), one select-list item per line, JOIN conditions and AND/OR conditions of
WHERE/HAVING/ON indented under their clause, subqueries indented inside their parentheses.

Every result is checked before it is returned: re-tokenised, it must give the same tokens and
comments; otherwise the SQL comes back unchanged with an INFO finding (a safety net, not a
path taken on any SQL in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from tsql.findings import Finding, Severity
from tsql.functions import FUNCTIONS
from tsql.parse import ParsedSql, parse, tokenize

__all__ = ["Formatted", "format_sql", "token_signature"]

_INDENT = "    "


@dataclass(frozen=True, slots=True)
class Formatted:
    """The formatted SQL, whether it differs from the input, and the parse findings (the
    reasons it came back unchanged, when it did)."""

    sql: str
    changed: bool
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class _Comment:
    text: str
    starts_line: bool  # a line break between the previous token or comment and this one

    @property
    def is_line_comment(self) -> bool:
        return self.text.startswith("--")


@dataclass(frozen=True, slots=True)
class _Word:
    token: Token
    text: str  # as emitted: original spelling, keywords upper-cased
    adjacent: bool  # no whitespace or comment between this token and the one before
    comments: tuple[_Comment, ...]  # the comments just before this token


_KEEP_CASE = {
    TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.HEX_STRING, TokenType.BIT_STRING,
    TokenType.BYTE_STRING, TokenType.IDENTIFIER, TokenType.NUMBER, TokenType.PARAMETER,
}  # fmt: skip
_OPERAND_END = {
    TokenType.NUMBER, TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.HEX_STRING,
    TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.NULL,
    TokenType.END, TokenType.STAR,
}  # fmt: skip
_JOIN_WORDS = {
    TokenType.INNER, TokenType.LEFT, TokenType.RIGHT, TokenType.FULL, TokenType.CROSS,
    TokenType.OUTER, TokenType.JOIN,
}  # fmt: skip
_SELECT_HEAD = {TokenType.DISTINCT, TokenType.ALL, TokenType.TOP, TokenType.PERCENT}
_CLAUSES = {
    TokenType.FROM: "FROM", TokenType.WHERE: "WHERE", TokenType.GROUP_BY: "GROUP",
    TokenType.HAVING: "HAVING", TokenType.ORDER_BY: "ORDER", TokenType.UNION: "SET",
    TokenType.EXCEPT: "SET", TokenType.INTERSECT: "SET", TokenType.OFFSET: "OFFSET",
    TokenType.FETCH: "OFFSET", TokenType.OPTION: "OPTION",
}  # fmt: skip
_CONDITIONS = {"WHERE", "HAVING", "ON"}
_TYPE_TOKENS = frozenset(Parser.TYPE_TOKENS)


def format_sql(sql: str) -> Formatted:
    """``sql`` laid out canonically; unparsable SQL comes back unchanged with its findings."""
    parsed = parse(sql)
    if not parsed.ok or not parsed.statements:
        return Formatted(sql, False, parsed.findings)
    words, trailing = _read(sql, parsed)
    if words is None:
        return _unchanged(sql, "a comment could not be placed")
    out = _Layout(words).render(trailing)
    if token_signature(out) != token_signature(sql):
        return _unchanged(sql, "the layout would have changed the tokens")
    return Formatted(out, out != sql, parsed.findings)


def token_signature(sql: str) -> tuple[tuple[str, str, tuple[str, ...]], ...] | None:
    """What formatting must preserve: each token's type, its text (case-folded except for
    strings and bracketed names, whitespace inside multi-word keywords collapsed) and the
    comments sqlglot attaches to it. None when ``sql`` cannot be tokenised."""
    tokens, failure = tokenize(sql)
    if failure is not None:
        return None
    signature = []
    for token in tokens:
        text = " ".join(token.text.split())
        if token.token_type not in _KEEP_CASE or token.token_type is TokenType.PARAMETER:
            text = text.casefold()
        comments = tuple(comment.strip() for comment in token.comments)
        signature.append((token.token_type.name, text, comments))
    return tuple(signature)


def _unchanged(sql: str, why: str) -> Formatted:
    finding = Finding(
        code="FORMAT_SKIPPED",
        severity=Severity.INFO,
        message=f"The SQL was left as it is: {why}.",
    )
    return Formatted(sql, False, (finding,))


# ---------------------------------------------------------------- reading tokens and comments


def _identifier_starts(parsed: ParsedSql) -> set[int]:
    """Offsets where the parse tree reads a name (their case is the user's)."""
    starts: set[int] = set()
    for statement in parsed.statements:
        for node in statement.walk():
            if isinstance(node, exp.Identifier):
                start = node.meta.get("start")
                if isinstance(start, int):
                    starts.add(start)
    return starts


def _read(sql: str, parsed: ParsedSql) -> tuple[list[_Word] | None, tuple[_Comment, ...]]:
    names = _identifier_starts(parsed)
    words: list[_Word] = []
    position = 0
    previous: Token | None = None
    for token in parsed.tokens:
        comments = _comments_between(sql, position, token.start)
        if comments is None:
            return None, ()
        original = sql[token.start : token.end + 1]
        words.append(
            _Word(
                token=token,
                text=_spelling(token, original, previous, names),
                adjacent=token.start == position and previous is not None,
                comments=comments,
            )
        )
        position = token.end + 1
        previous = token
    trailing = _comments_between(sql, position, len(sql))
    if trailing is None:
        return None, ()
    return words, trailing


def _spelling(token: Token, original: str, previous: Token | None, names: set[int]) -> str:
    if token.token_type in _KEEP_CASE or token.start in names:
        return original
    if previous is not None and previous.token_type in (TokenType.PARAMETER, TokenType.HASH):
        return original  # @variable, #temp: names
    return " ".join(original.split()).upper()  # ORDER  BY -> ORDER BY


def _comments_between(sql: str, start: int, end: int) -> tuple[_Comment, ...] | None:
    """The comments in ``sql[start:end]``, which holds only whitespace and comments (None if
    it holds anything else). Block comments nest, as in T-SQL."""
    comments: list[_Comment] = []
    index = start
    newline = start == 0
    while index < end:
        char = sql[index]
        if char.isspace():
            newline = newline or char == "\n"
            index += 1
        elif sql.startswith("--", index):
            found = sql.find("\n", index, end)
            stop = end if found == -1 else found
            comments.append(_Comment(sql[index:stop].rstrip("\r"), newline))
            index, newline = stop, False
        elif sql.startswith("/*", index):
            closed = _block_end(sql, index, end)
            if closed is None:
                return None
            comments.append(_Comment(sql[index:closed], newline))
            index, newline = closed, False
        else:
            return None
    return tuple(comments)


def _block_end(sql: str, start: int, end: int) -> int | None:
    depth = 0
    index = start
    while index < end:
        if sql.startswith("/*", index):
            depth += 1
            index += 2
        elif sql.startswith("*/", index):
            depth -= 1
            index += 2
            if depth == 0:
                return index
        else:
            index += 1
    return None


# ----------------------------------------------------------------------------------- layout


@dataclass(slots=True)
class _Context:
    """One query (the whole text or a subquery) or one plain pair of parentheses."""

    query: bool
    indent: int  # where this query's clause keywords go
    close_indent: int  # where its closing parenthesis goes
    clause: str = ""
    case_depth: int = 0
    between: bool = False
    after_top: bool = False


@dataclass(slots=True)
class _Layout:
    words: Sequence[_Word]
    out: list[str] = field(default_factory=list)
    line_indent: int = 0
    line_empty: bool = True
    after_comment: bool = False
    force_newline: bool = False
    stack: list[_Context] = field(default_factory=list)

    def render(self, trailing: tuple[_Comment, ...]) -> str:
        self.stack = [_Context(query=True, indent=0, close_indent=0)]
        for index, word in enumerate(self.words):
            self._emit_word(index, word)
        context = self.stack[-1]
        self._emit_comments(trailing, context.indent + 1 if self.stack[1:] else 0)
        return "".join(self.out)

    # -- writing
    def _newline(self, indent: int) -> None:
        if self.out:
            self.out.append("\n" + _INDENT * indent)
        self.line_indent = indent
        self.line_empty = True
        self.force_newline = False

    def _write(self, text: str, *, space: bool, comment: bool = False) -> None:
        if (space or self.after_comment) and not self.line_empty:
            self.out.append(" ")
        self.out.append(text)
        self.line_empty = False
        self.after_comment = comment

    def _emit_comments(self, comments: Sequence[_Comment], indent: int) -> None:
        for comment in comments:
            if comment.starts_line or self.force_newline:
                self._newline(indent)
            self._write(comment.text, space=True, comment=True)
            if comment.is_line_comment:
                self.force_newline = True

    def _emit_word(self, index: int, word: _Word) -> None:
        context = self.stack[-1]
        breaks, indent = self._placement(index, word, context)
        if not breaks:
            indent = self._continuation()
        self._emit_comments(word.comments, indent)
        if breaks or self.force_newline:
            self._newline(indent)
            self._write(word.text, space=False)
        else:
            self._write(word.text, space=self._space_before(index, word))
        self._after(index, word)

    def _continuation(self) -> int:
        context = self.stack[-1]
        base = context.indent if context.query else self.line_indent
        return max(base + 1, self.line_indent)

    # -- decisions
    def _placement(self, index: int, word: _Word, context: _Context) -> tuple[bool, int]:
        """Whether ``word`` starts a line, and at which indent."""
        kind = word.token.token_type
        if kind is TokenType.R_PAREN and context.query and len(self.stack) > 1:
            return True, context.close_indent
        if not context.query or context.case_depth > 0:
            return False, 0
        previous = self.words[index - 1].token.token_type if index else None
        if kind is TokenType.SELECT:
            return True, context.indent
        if context.clause == "SELECT_HEAD":
            if kind in _SELECT_HEAD or context.after_top or self._with_ties(index):
                return False, 0
            return True, context.indent + 1
        if kind in _CLAUSES:
            return True, context.indent
        if kind in _JOIN_WORDS and context.clause in ("FROM", "ON"):
            if self._is_call(index) or previous in _JOIN_WORDS:
                return False, 0
            return True, context.indent
        if kind is TokenType.APPLY:
            return False, 0
        if kind is TokenType.ON and context.clause == "FROM":
            return True, context.indent + 1
        if kind in (TokenType.AND, TokenType.OR) and context.clause in _CONDITIONS:
            if kind is TokenType.AND and context.between:
                return False, 0
            return True, context.indent + 1
        if previous is TokenType.COMMA and context.clause == "SELECT":
            return True, context.indent + 1
        return False, 0

    def _with_ties(self, index: int) -> bool:
        word = self.words[index]
        if word.token.token_type is TokenType.WITH:
            following = self.words[index + 1] if index + 1 < len(self.words) else None
            return following is not None and following.text.upper() == "TIES"
        previous = self.words[index - 1] if index else None
        return (
            previous is not None
            and previous.token.token_type is TokenType.WITH
            and word.text.upper() == "TIES"
        )

    def _is_call(self, index: int) -> bool:
        following = self.words[index + 1] if index + 1 < len(self.words) else None
        return following is not None and following.token.token_type is TokenType.L_PAREN

    def _opens_subquery(self, index: int) -> bool:
        following = self.words[index + 1] if index + 1 < len(self.words) else None
        return following is not None and following.token.token_type in (
            TokenType.SELECT,
            TokenType.WITH,
        )

    def _space_before(self, index: int, word: _Word) -> bool:
        if not index:
            return True
        before = self.words[index - 1]
        kind, previous = word.token.token_type, before.token.token_type
        if previous in (TokenType.L_PAREN, TokenType.DOT) or kind in (
            TokenType.R_PAREN,
            TokenType.COMMA,
            TokenType.DOT,
            TokenType.SEMICOLON,
        ):
            return not _may_glue(before.text, word.text)
        if previous in (TokenType.PARAMETER, TokenType.HASH) and word.adjacent:
            return False  # @variable, #temp as written (touching before, so safe to touch)
        if kind is TokenType.L_PAREN and self._is_function_name(index - 1):
            return not _may_glue(before.text, word.text)
        if previous in (TokenType.DASH, TokenType.PLUS, TokenType.TILDE) and self._is_unary(
            index - 1
        ):
            return not _may_glue(before.text, word.text)
        return True

    def _is_function_name(self, index: int) -> bool:
        word = self.words[index]
        kind = word.token.token_type
        if kind in (TokenType.VAR, TokenType.IDENTIFIER):
            return word.text.upper() in FUNCTIONS or self.words[index + 1].adjacent
        return word.text.upper() in FUNCTIONS or kind in _TYPE_TOKENS

    def _is_unary(self, index: int) -> bool:
        if not index:
            return True
        previous = self.words[index - 1].token.token_type
        return previous not in _OPERAND_END and previous not in _TYPE_TOKENS

    # -- state after a word
    def _after(self, index: int, word: _Word) -> None:
        context = self.stack[-1]
        kind = word.token.token_type
        if kind is TokenType.L_PAREN:
            if self._opens_subquery(index):
                self.stack.append(
                    _Context(
                        query=True,
                        indent=self.line_indent + 1,
                        close_indent=self.line_indent,
                    )
                )
            else:
                self.stack.append(
                    _Context(query=False, indent=self.line_indent, close_indent=self.line_indent)
                )
            return
        if kind is TokenType.R_PAREN:
            if len(self.stack) > 1:
                self.stack.pop()
            self.stack[-1].after_top = False  # TOP (n) is over
            return
        if kind is TokenType.SEMICOLON and len(self.stack) == 1:
            context.clause = ""  # the next statement's SELECT starts its own line
            return
        if not context.query:
            return
        if kind is TokenType.CASE:
            context.case_depth += 1
        elif kind is TokenType.END and context.case_depth:
            context.case_depth -= 1
        if context.case_depth:
            return
        if kind is TokenType.SELECT:
            context.clause, context.after_top = "SELECT_HEAD", False
        elif context.clause == "SELECT_HEAD":
            in_head = kind in _SELECT_HEAD or context.after_top or self._with_ties(index)
            context.after_top = kind is TokenType.TOP
            if not in_head:
                context.clause = "SELECT"
        if kind in _CLAUSES:
            context.clause = _CLAUSES[kind]
        elif kind is TokenType.ON and context.clause == "FROM":
            context.clause = "ON"
        elif kind in _JOIN_WORDS and context.clause == "ON" and not self._is_call(index):
            context.clause = "FROM"
        elif kind is TokenType.BETWEEN:
            context.between = True
        elif kind is TokenType.AND and context.between:
            context.between = False


def _may_glue(left: str, right: str) -> bool:
    """Whether ``left`` and ``right`` can touch without changing how the text tokenises."""
    if not left or not right:
        return True
    pair = left[-1] + right[0]
    if pair in ("--", "/*", "*/"):
        return False
    word = left[-1].isalnum() or left[-1] in "_@#$"
    return not (word and (right[0].isalnum() or right[0] in "_@#$"))
