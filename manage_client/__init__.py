"""The manager's pages under `/manage`: the live dashboard, administration of users and
devices, and the reports (attendance, monthly review, CSV and printable pages).

`pages.py` holds the blueprint and the one check every manager page makes (signed in, a
manager or an administrator); each part adds its routes from its own module.
"""
