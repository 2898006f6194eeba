"""Triage of citizens' messages (П.6, 8, 17, 19, 23).

``otklik.triage.engine`` is the pure text-analysis engine (no Django import); ``services`` and
``tasks`` adapt it to the database and Celery.
"""
