"""PostgreSQL behind a transaction-pooling PgBouncer (DATABASE_POOL_MODE=transaction).

PgBouncer hands each transaction to whichever server connection is free, so nothing that
belongs to a session may be relied on:
- the lock timeout cannot be a startup option (PgBouncer refuses the `options` parameter) nor
  a session SET: it is set with SET LOCAL at the start of every transaction instead;
- a server-side cursor opened outside a transaction is a WITH HOLD cursor that lives on one
  server connection while the next FETCH may reach another: outside a transaction, chunked
  reads (`QuerySet.iterator()`) use an ordinary cursor; inside one they still stream;
- prepared statements live on one server connection too: psycopg must not prepare any.
Everything else is Django's own PostgreSQL backend.
"""

from django.db.backends.postgresql import base
from psycopg import pq


def set_lock_timeout_per_transaction(execute, sql, params, many, context):
    """Before the first statement of a transaction, SET LOCAL the lock timeout (it ends with
    the transaction, so it never leaks to another client of the same server connection)."""
    wrapper = context["connection"]
    raw = wrapper.connection
    if raw is not None and not raw.autocommit and raw.info.transaction_status == pq.TransactionStatus.IDLE:
        # psycopg opens the transaction (BEGIN) before this statement.
        raw.execute(f"SET LOCAL lock_timeout = {int(wrapper.settings_dict['LOCK_TIMEOUT_MS'])}")
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["prepare_threshold"] = None
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if set_lock_timeout_per_transaction not in self.execute_wrappers:
            self.execute_wrappers.append(set_lock_timeout_per_transaction)
        return connection

    def create_cursor(self, name=None):
        if name and self.connection.autocommit:
            name = None  # no WITH HOLD cursor: see the module's docstring
        return super().create_cursor(name)
