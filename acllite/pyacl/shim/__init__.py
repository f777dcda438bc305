"""The directory of the opt-in ``acl.py`` shim (see ``acllite pyacl --print-path``); nothing to import here."""
