"""Runs on disk: a training run from start to saved bundle, the bundle format (save, load, export,
import, all checked), the store of everyone's runs with their owners, which model a name means
(``ModelRef``), the catalog of the shipped models and the runs one may choose, model cards, and the
quality curves measured for the shipped models."""
