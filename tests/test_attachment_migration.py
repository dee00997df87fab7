"""Going below the case-attachment revision would throw the documents away: refused while any is kept."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import attach_migrations, db

BEFORE_ATTACHMENTS = "a3c9e51f7b26"


def test_a_downgrade_that_would_delete_documents_is_refused_unless_forced(tmp_path, capfd):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'schema.sqlite3'}", "SECRET_KEY": "x"})
    attach_migrations(app)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO case_attachment (instance_id, filename, content_type, size, sha256, uploaded_by,"
                    " uploaded_at, storage, content) VALUES (1, 'a.pdf', 'application/pdf', 4, 'x', 'someone',"
                    " '2027-03-01 09:00:00', 'database', x'25504446')"
                )
            )
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits 1
            downgrade(revision=BEFORE_ATTACHMENTS)
        assert "Refusing to downgrade: it would delete the documents added to cases" in capfd.readouterr().err
        assert "case_attachment" in inspect(db.engine).get_table_names()
        downgrade(revision=BEFORE_ATTACHMENTS, x_arg=["force=1"])
        assert "case_attachment" not in inspect(db.engine).get_table_names()
        upgrade()  # and back up again
        assert "case_attachment" in inspect(db.engine).get_table_names()
        db.engine.dispose()
