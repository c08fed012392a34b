"""The grid evaluation scheme and its weights (dashboard.evaluation_models)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name='EvaluationScheme',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='方案名称')),
                ('active', models.BooleanField(default=True, verbose_name='启用')),
                ('effective_from', models.DateField(verbose_name='生效月份')),
                ('grade_a', models.DecimalField(decimal_places=1, default=90, max_digits=5, verbose_name='A 级最低分')),
                ('grade_b', models.DecimalField(decimal_places=1, default=80, max_digits=5, verbose_name='B 级最低分')),
                ('grade_c', models.DecimalField(decimal_places=1, default=70, max_digits=5, verbose_name='C 级最低分')),
                ('grade_d', models.DecimalField(decimal_places=1, default=60, max_digits=5, verbose_name='D 级最低分')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
            ],
            options={
                'verbose_name': '网格考核方案',
                'verbose_name_plural': '网格考核方案',
                'ordering': ['-effective_from', '-id'],
            },
        ),
        migrations.CreateModel(
            name='EvaluationWeight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('indicator_key', models.CharField(max_length=100, verbose_name='指标')),
                ('weight', models.DecimalField(decimal_places=1, max_digits=5, verbose_name='权重')),
                ('mapping', models.CharField(choices=[('share', '比例×100（越高越好）'), ('share_inverse', '100−比例×100（越低越好）'), ('target_limit', '目标值得满分，限值得 0 分，之间线性')], default='share', max_length=16, verbose_name='计分方式')),
                ('target', models.FloatField(blank=True, null=True, verbose_name='目标值')),
                ('limit', models.FloatField(blank=True, null=True, verbose_name='限值')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='顺序')),
                ('scheme', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='weights', to='dashboard.evaluationscheme', verbose_name='方案')),
            ],
            options={
                'verbose_name': '考核指标权重',
                'verbose_name_plural': '考核指标权重',
                'ordering': ['position', 'id'],
                'constraints': [models.UniqueConstraint(fields=('scheme', 'indicator_key'), name='evaluation_weight_unique_key')],
            },
        ),
    ]
