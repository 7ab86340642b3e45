"""The `[learning]` table of qaforge.toml reaches the learning loop; bad values are clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qaforge.config import load_settings
from qaforge.learn.config import LearningConfig


def test_the_learning_table_of_the_config_file_is_used(tmp_path: Path) -> None:
    cfg = tmp_path / "qaforge.toml"
    cfg.write_text('[learning]\nmethod = "epsilon"\nepsilon = 0.25\nexperiment_min_samples = 40\n')
    settings = load_settings(cfg, home=tmp_path / "home")
    lc = LearningConfig.from_settings(settings)
    assert (lc.method, lc.epsilon, lc.experiment_min_samples) == ("epsilon", 0.25, 40)
    assert LearningConfig.from_settings(load_settings(None, home=tmp_path)).method == "thompson"


def test_a_bad_learning_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="epsilon"):
        LearningConfig.model_validate({"epsilon": 3})
