"""The form model: what a task form (JSON Schema + UI schema) asks, and its answers as people read them.

One model for every reader of a form: the pages (``app.web.forms`` renders it as GOV.UK components and
parses what the browser posts), the services (checks, case data, reports, messages) and the dry run.

- ``fields``: the ``Field`` tree of a form, in the order it is shown (the one reading of the UI schema);
- ``answers``: an answer as text ('Not given', option titles, Yes or No, dates);
- ``dates``: dates as people read them ('5 March 2027') and the three boxes of a date input;
- ``errors``: the GOV.UK error summary, in form order;
- ``files``: which model file is a UI schema, and which goes with a form;
- ``unknown_keys``: keys of an answer no field of the form names, at any depth;
- ``patterns``: answer patterns that Python's matcher can check in reasonable time;
- ``references``: a form's depth and where its ``$ref`` lead, checked before anything walks it.
"""
