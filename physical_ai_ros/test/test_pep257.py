"""ament_pep257 over the package, as `colcon test` runs it (skipped without ament)."""

import pytest

ament_pep257_main = pytest.importorskip('ament_pep257.main').main


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    rc = ament_pep257_main(argv=['.', 'test'])
    assert rc == 0, 'Found code style errors / warnings'
