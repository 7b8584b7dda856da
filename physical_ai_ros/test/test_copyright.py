"""ament_copyright over the package, as `colcon test` runs it (skipped without ament)."""

import pytest

ament_copyright_main = pytest.importorskip('ament_copyright.main').main


@pytest.mark.copyright
@pytest.mark.linter
def test_copyright():
    rc = ament_copyright_main(argv=['.', 'test'])
    assert rc == 0, 'Found errors'
