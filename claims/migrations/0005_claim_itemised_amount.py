from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0004_claim_fee_summary'),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='itemised_amount',
            field=models.DecimalField(db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name='费用明细合计'),
        ),
        # Existing claims: the sum of their fee-detail lines (0 without lines); a reversal (which
        # has no lines) takes its original's sum negated.
        migrations.RunSQL(
            sql=[
                "UPDATE claims_claim SET "
                "itemised_amount = COALESCE((SELECT SUM(i.amount) FROM claims_claimitem i "
                "WHERE i.claim_id = claims_claim.id), 0) "
                "WHERE EXISTS (SELECT 1 FROM claims_claimitem i WHERE i.claim_id = claims_claim.id)",
                "UPDATE claims_claim SET "
                "itemised_amount = -(SELECT o.itemised_amount FROM claims_claim o "
                "WHERE o.id = claims_claim.reverses_id) "
                "WHERE reverses_id IS NOT NULL",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
