"""Documents on cases: ID card copies, student cards, business licences, police reports.

:mod:`callwarden.documents.store` keeps and reads them; :mod:`callwarden.documents.models` is
the table.
"""
