"""suggestion categories: stored as ASCII keys (translated where shown), not Chinese names

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00

Each row's Chinese name becomes its key, and a check constraint admits only the keys.
Before this revision only the form wrote the column, with one of these ten names; a value
that is none of them (written by hand in the database) becomes ``other``. The downgrade
turns the keys back into the names.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen as they were: a later change of a label or a key must not change this history.
NAMES = {
    "transport": "交通出行",
    "education": "教育",
    "health": "医疗卫生",
    "elderly_care": "养老托育",
    "housing": "住房与社区",
    "water_environment": "供水与环境",
    "rural": "农业农村",
    "culture_sports": "文化体育",
    "employment": "就业",
    "other": "其他",
}
CHECK = "category IN (" + ", ".join(f"'{key}'" for key in NAMES) + ")"

suggestion = sa.table("suggestion", sa.column("category", sa.String))


def upgrade():
    for key, name in NAMES.items():
        op.execute(suggestion.update().where(suggestion.c.category == name).values(category=key))
    op.execute(suggestion.update().where(suggestion.c.category.not_in(list(NAMES))).values(category="other"))
    # Batch mode: SQLite cannot add a check constraint to an existing table.
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_suggestion_category"), CHECK)


def downgrade():
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_suggestion_category"), type_="check")
    for key, name in NAMES.items():
        op.execute(suggestion.update().where(suggestion.c.category == key).values(category=name))
