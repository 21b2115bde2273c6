"""rehab named on the trigger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 11:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: cases opened before keep their rehab coordinators only where one owns
    the case (which triggers named rehab was not recorded)."""
    with op.batch_alter_table('support_case') as batch:
        batch.add_column(
            sa.Column('rehab_named', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("update support_case set rehab_named = true where owner_role = 'rehab_coordinator'")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('support_case') as batch:
        batch.drop_column('rehab_named')
