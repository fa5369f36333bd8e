"""Time off: balances per agent and type, allowances per queue, requests and their decisions.

``models`` (tables), ``schemas`` (wire shapes), ``balances`` (hours and the CSV import),
``allowance`` (how many agents of a queue may be off at once), ``requests`` (the workflow, its
locks and the decisions), ``schedule`` (what an approval does to the agent's shifts).
"""
