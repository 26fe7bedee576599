from policy.models import ParameterSet, Region


def test_given_migrated_db_when_counting_then_five_regions_with_parameters(db):
    assert sorted(Region.objects.values_list("admdvs", flat=True)) == ["360100", "360700", "370300", "411300", "441600"]
    assert ParameterSet.objects.filter(region_id="441600").count() == 3
