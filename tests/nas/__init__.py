"""Tests of automl_estimators.nas."""
