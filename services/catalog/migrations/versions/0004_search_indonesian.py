"""search that understands Indonesian: whole-word documents (no stemmer that turns "keranjang" into
"ranjang"), a heading column for ranking, the word list for "did you mean"; on PostgreSQL pg_trgm indexes
(LIKE '% word%' on the document, similarity on the words) instead of the 'simple' full-text index

Revision ID: catalog_0004
Revises: catalog_0003
"""
from alembic import op
import sqlalchemy as sa

from services.catalog import domain

revision = "catalog_0004"
down_revision = "catalog_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    with op.batch_alter_table("listings") as batch_op:
        batch_op.add_column(sa.Column("search_heading", sa.Text(), server_default="", nullable=False))
    op.create_table("search_words", sa.Column("word", sa.String(length=80), nullable=False),
                    sa.PrimaryKeyConstraint("word"))
    # every listing's document again, in the new shape (with its shop's village), and the words it holds
    rows = bind.execute(sa.text(
        "SELECT l.id, l.title, l.description, l.category, s.name, s.village, s.district, s.regency, c.name_id "
        "FROM listings l LEFT JOIN shops s ON s.id = l.shop_id LEFT JOIN categories c ON c.slug = l.category")).all()
    vocabulary: set[str] = set()
    for lid, title, description, _, shop, village, district, regency, category in rows:
        document = domain.search_document(title, description or "", shop or "", category or "", regency or "",
                                          district or "", village or "")
        bind.execute(sa.text("UPDATE listings SET search_text = :d, search_heading = :h WHERE id = :id"),
                     {"d": document, "h": domain.search_heading(title, category or ""), "id": lid})
        vocabulary.update(w for w in document.split() if len(w) <= 80)
    if vocabulary:
        op.bulk_insert(sa.table("search_words", sa.column("word")), [{"word": w} for w in sorted(vocabulary)])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("DROP INDEX IF EXISTS ix_listings_search")
        op.execute("CREATE INDEX ix_listings_search_trgm ON listings USING GIN (search_text gin_trgm_ops)")
        op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING GIN (word gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_words_trgm")
        op.execute("DROP INDEX IF EXISTS ix_listings_search_trgm")
        op.execute("CREATE INDEX ix_listings_search ON listings USING GIN (to_tsvector('simple', search_text))")
    op.drop_table("search_words")
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_column("search_heading")
