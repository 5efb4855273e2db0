"""Client for the matrx_relations PostgreSQL extension.

    import matrx_relations as mx
    orders = await mx.load(conn, "orders", [101, 102], "customer", "items.product.tags")
    orders[0]["items"][0]["product"]["tags"]        # plain dicts, one per distinct row

    loader = mx.DataLoader(conn)                     # one load_batch per event-loop tick
    order = await loader.load("orders", 101, "customer")

conn is an asyncpg Connection (or a pool's connection) or a psycopg 3
AsyncConnection. Values are what the driver returns for the same columns.
"""

from ._client import DataLoader, Node, forget, load
from .errors import (AmbiguousRelation, CannotCoerce, DuplicateOutputKey, InsufficientPrivilege,
                     InvalidArgument, InvalidKeyValue, KeysFormUnsupported, KeyTypeMismatch, MatrxError,
                     NullArgument, ObjectNotInPrerequisiteState, ProgramLimitExceeded, QueryCanceled,
                     UndefinedColumn, UndefinedFunction, UndefinedTable, UnknownRelation, WrongObjectType)

__version__ = "0.3.0"
__all__ = ["load", "DataLoader", "Node", "forget", "MatrxError", "UnknownRelation", "AmbiguousRelation",
           "InvalidArgument", "NullArgument", "DuplicateOutputKey", "UndefinedTable", "UndefinedColumn",
           "WrongObjectType", "KeysFormUnsupported", "KeyTypeMismatch", "InvalidKeyValue",
           "InsufficientPrivilege", "QueryCanceled", "ProgramLimitExceeded", "UndefinedFunction",
           "CannotCoerce", "ObjectNotInPrerequisiteState"]
