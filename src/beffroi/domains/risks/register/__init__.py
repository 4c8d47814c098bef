"""The vulnerable-persons register (registre des personnes vulnérables, « registre
canicule »; art. L121-6-1 and R121-2 to R121-12 CASF, décret 2004-926 du 1er septembre 2004).

The mayor keeps a voluntary, confidential register of people living at home (aged 65 or
more, over 60 and unfit for work, or disabled adults), enrolled at their written request or
a third party's, and hands it to the préfet when the emergency plan is triggered. Personal
data stay in their own tables (``register_*``), never in asset properties nor in logs.

Plain functions (each takes a ``TenantScope`` and a connection; the caller commits):

- ``referents``: who may read it. Only members granted the register
  (``grant_referent``, by a territory administrator) read or write it; every other role —
  administrators of the territory and of the operator included — gets 403.
- ``persons``: ``enrol``, ``replace_person``, ``confirm``, ``get_person``,
  ``list_persons``, ``delete_person`` (hard delete on request), ``export_csv`` (for the
  préfet), ``persons_in_polygon(scope, conn, geometry)`` (who lives inside a flood zone).
- ``calls``: ``call_list(scope, conn, persons_filter)`` (persons to call during an episode,
  by priority, with their follow-up) and ``record_call`` (appelé, joint, besoin d'une
  visite, visite faite).
- ``retention``: ``purge_unconfirmed`` (the daily ``Job`` removing the records not
  re-confirmed for ``risks.register_reconfirm_months``).

Every read is written to the audit log (action ``register.read`` / ``register.export``,
entity ``register_person``, the person's id or the ids listed; never a name).

JSON routes (``routes.py``) under ``/api/v1/tenants/{tenant}/risks/register/``:
``GET consent`` (the consent text in force and its version), ``GET|POST persons``,
``GET|PUT|DELETE persons/{id}``, ``POST persons/{id}/confirm``,
``POST persons/{id}/calls``, ``GET calls`` (``?commune=&since=``), ``POST persons/within``
(a GeoJSON polygon), ``GET export.csv``, ``GET referents``, ``PUT|DELETE referents/{user_id}``.
"""
