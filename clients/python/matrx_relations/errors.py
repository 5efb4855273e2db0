"""Typed exceptions for the SQLSTATEs matrx_relations raises (SPEC §4).

Every error a load raises in the server reaches the caller as a subclass of
MatrxError carrying sqlstate, message, detail and hint; the driver's own
exception is its __cause__. Errors with other SQLSTATEs pass through as the
driver raised them.
"""


class MatrxError(Exception):
    """An error raised by matrx_relations in the server."""

    sqlstate = None

    def __init__(self, message, sqlstate=None, detail=None, hint=None):
        """The server's message, SQLSTATE, detail and hint."""
        super().__init__(message)
        self.message = message
        if sqlstate is not None:
            self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint


class UnknownRelation(MatrxError, LookupError):
    """42704: no relation of that name for that source (the hint lists them)."""
    sqlstate = "42704"


class AmbiguousRelation(MatrxError, LookupError):
    """42P09: the name fits several relations (the detail lists them)."""
    sqlstate = "42P09"


class InvalidArgument(MatrxError, ValueError):
    """22023: a malformed path, spec, request or instance."""
    sqlstate = "22023"


class NullArgument(MatrxError, ValueError):
    """22004: a NULL path element."""
    sqlstate = "22004"


class DuplicateOutputKey(MatrxError, ValueError):
    """42701: an output key equal to a column, or produced twice at one level."""
    sqlstate = "42701"


class UndefinedTable(MatrxError, LookupError):
    """42P01: no table of that name or OID."""
    sqlstate = "42P01"


class UndefinedColumn(MatrxError, LookupError):
    """42703: a column the target lacks (spec columns, where, order_by)."""
    sqlstate = "42703"


class WrongObjectType(MatrxError, TypeError):
    """42809: an index, sequence or other non-table as source or target."""
    sqlstate = "42809"


class KeysFormUnsupported(MatrxError):
    """0A000: the keys form on a source without a single-column primary key."""
    sqlstate = "0A000"


class KeyTypeMismatch(MatrxError, TypeError):
    """42804: key elements of a type not castable to the key column."""
    sqlstate = "42804"


class InvalidKeyValue(MatrxError, ValueError):
    """22P02 (and other data exceptions): a key value the column type rejects."""
    sqlstate = "22P02"


class InsufficientPrivilege(MatrxError, PermissionError):
    """42501: no SELECT privilege on a table the load reads."""
    sqlstate = "42501"


class QueryCanceled(MatrxError):
    """57014: cancelled or past statement_timeout."""
    sqlstate = "57014"


class ProgramLimitExceeded(MatrxError):
    """54000: a result beyond PostgreSQL's 1 GB limits."""
    sqlstate = "54000"


class UndefinedFunction(MatrxError, TypeError):
    """42883: a type without an operator the load needs (a spec's like or
    comparison on it, or the equality of a key type)."""
    sqlstate = "42883"


class CannotCoerce(MatrxError, TypeError):
    """42846: a relation's key cast (its registered options) to a type the
    column cannot be cast to."""
    sqlstate = "42846"


class ObjectNotInPrerequisiteState(MatrxError):
    """55000: the extension's tables are not what this module expects (the
    library and the installed extension differ in version: ALTER EXTENSION
    matrx_relations UPDATE)."""
    sqlstate = "55000"


# 40001 (the tables' definitions kept changing while a load read them) is not
# mapped: it passes through as the driver's serialization error, which a
# transaction's retry loop catches
BY_SQLSTATE = {cls.sqlstate: cls for cls in (
    UnknownRelation, AmbiguousRelation, InvalidArgument, NullArgument, DuplicateOutputKey,
    UndefinedTable, UndefinedColumn, WrongObjectType, KeysFormUnsupported, KeyTypeMismatch,
    InvalidKeyValue, InsufficientPrivilege, QueryCanceled, ProgramLimitExceeded, UndefinedFunction,
    CannotCoerce, ObjectNotInPrerequisiteState)}
# the other data exceptions of key input functions (22003 out of range, 22007 datetime ...)
DATA_EXCEPTION = InvalidKeyValue


def sqlstate_of(exc):
    """The SQLSTATE of an asyncpg or psycopg exception, or None."""
    code = getattr(exc, "sqlstate", None)
    if code is None:
        diag = getattr(exc, "diag", None)
        code = getattr(diag, "sqlstate", None)
    return code


def translate(exc):
    """The typed exception for a driver exception, or None to re-raise it as is."""
    code = sqlstate_of(exc)
    if code is None:
        return None
    cls = BY_SQLSTATE.get(code)
    if cls is None and code.startswith("22"):
        cls = DATA_EXCEPTION
    if cls is None:
        return None
    diag = getattr(exc, "diag", None)
    message = getattr(exc, "message", None) or getattr(diag, "message_primary", None) or str(exc)
    detail = getattr(exc, "detail", None) or getattr(diag, "message_detail", None)
    hint = getattr(exc, "hint", None) or getattr(diag, "message_hint", None)
    return cls(message, code, detail, hint)
