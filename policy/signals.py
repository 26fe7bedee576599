from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ParameterSet
from .selectors import parameter_cache_clear


@receiver(post_save, sender=ParameterSet)
@receiver(post_delete, sender=ParameterSet)
def _parameters_changed(**kwargs) -> None:
    parameter_cache_clear()
