"""Each setting declared once: what is derived from a declaration (the check, the command line, the
page, the web API, links) follows it, and a new setting needs nothing but its declaration."""

import dataclasses
import inspect

import pytest

from playground import cli
from playground.lab import links as setup_link
from playground.errors import PlaygroundError
from playground.models import ARCHITECTURES, ModelConfig, architecture, page_settings
from playground.settings import Setting, check, declared, fits, from_form, refusal, setting, shown
from playground.training.config import TrainConfig, config_for, config_from_page, page_start

CONFIGS = [spec.config_class for spec in ARCHITECTURES.values()] + [TrainConfig]


def beyond(item):
    """Values just outside a declared number's range (the refused bound itself when it is open)."""
    s, step = item.setting, 1 if item.kind is int else 0.5
    values = []
    if s.low is not None:
        values.append(s.low if s.open_low else s.low - step)
    if s.high is not None:
        values.append(s.high if s.open_high else s.high + step)
    return values


CASES = [(config_class, item, value) for config_class in CONFIGS for item in declared(config_class)
         if item.kind in (int, float) for value in beyond(item)]


@pytest.mark.parametrize("config_class, item, value", CASES,
                         ids=[f"{c.__name__}.{i.name}={v}" for c, i, v in CASES])
def test_every_declared_range_is_checked_with_its_own_sentence(config_class, item, value):
    base = {"vocab_size": 20} if issubclass(config_class, ModelConfig) and item.name != "vocab_size" else {}
    with pytest.raises(PlaygroundError) as error:
        config_class(**base, **{item.name: value})
    assert str(error.value) == str(refusal(item, value))
    assert shown(value) in str(error.value)


@pytest.mark.parametrize("config_class", CONFIGS, ids=lambda c: c.__name__)
def test_every_declared_default_fits_its_own_declaration(config_class):
    for item in declared(config_class):
        assert item.default in (None, dataclasses.MISSING) or fits(item, item.default), item.name
        page = item.setting.page
        if page:  # the page offers only valid values, and starts on one it offers
            assert fits(item, page[0] if page[0] or not item.setting.open_low else page[1]), item.name
            assert fits(item, page[1]), item.name
            assert page[0] <= item.start <= page[1], item.name


def test_types_are_checked_and_whole_floats_become_ints():
    with pytest.raises(PlaygroundError, match=r"^Units per layer must be between 1 and 4096 \(got 'many'\)\.$"):
        architecture("lstm").default_config(20, units="many")
    with pytest.raises(PlaygroundError, match=r"^tied_head must be true or false \(got 1\)\.$"):
        architecture("transformer").default_config(20, tied_head=1)
    with pytest.raises(PlaygroundError, match=r"^Use between 1 and 8 recurrent layers \(got 2\.5\)\.$"):
        architecture("lstm").default_config(20, layers=2.5)
    config = architecture("lstm").default_config(20, units=64.0)
    assert config.units == 64 and type(config.units) is int
    with pytest.raises(PlaygroundError, match=r"^Optimizer must be adam, adamw, rmsprop or sgd \(got 'magic'\)\.$"):
        TrainConfig(optimizer="magic")


def test_every_flag_reaches_its_setting(tmp_path):
    """Each declared setting with a flag is on the train command, under the declared name."""
    parser = cli.parser()
    for item, _ in cli.setting_flags():
        value = [] if item.kind is bool else [str(item.start if item.default is None else item.default)]
        args = parser.parse_args(["train", "--builtin", "markov-babble", item.flag, *value])
        expected = (not item.default) if item.kind is bool else item.kind(value[0])
        assert getattr(args, item.name) == expected, item.flag
    flags = {item.flag for item, _ in cli.setting_flags()}
    assert {"--units", "--embedding", "--lr", "--warmup", "--untied-head", "--straight-through", "--context",
            "--adversarial-lr", "--noise-dim", "--validation-share", "--seed"} <= flags
    assert "--vocab-size" not in flags and "--sample-temperature" not in flags


def test_a_flag_for_another_architecture_is_refused(capsys):
    assert cli.main(["train", "--builtin", "markov-babble", "--arch", "lstm", "--heads", "4"]) == 2
    assert capsys.readouterr().err.strip() == "error: --heads does not apply to the lstm architecture."


def test_the_model_tab_offers_each_architectures_own_settings():
    shown_fields = page_settings()
    assert list(shown_fields) == ["units", "layers", "embedding_dim", "dropout", "heads", "context", "cell",
                                  "pretrain_share", "beta_max", "d_steps", "mle_mix", "straight_through"]
    assert set(shown_fields["heads"]) == {"transformer"}
    assert {arch: item.setting.page[1] for arch, item in shown_fields["layers"].items()} == \
        {"lstm": 8, "gru": 8, "transformer": 12, "gan": 4, "gan-naive": 4}
    assert shown_fields["units"]["gan"].setting.label == "Generator units"


def test_form_values_become_typed_options_for_the_chosen_architecture_only():
    values = {"units": "64", "layers": 1.0, "heads": 4, "context_length": 32, "dropout": 0.1}
    assert from_form(architecture("lstm").config_class, values) == {"units": 64, "layers": 1, "dropout": 0.1}
    assert from_form(architecture("transformer").config_class, values) == \
        {"layers": 1, "heads": 4, "context": 32, "dropout": 0.1}


def test_training_settings_are_merged_once_defaults_then_measured_then_given():
    config = config_for("transformer", {"learning_rate": 0.01, "batch_size": None})
    measured = architecture("transformer").train_defaults
    assert config.learning_rate == 0.01  # given wins
    assert config.batch_size == measured["batch_size"] and config.optimizer == measured["optimizer"]
    assert config.clipnorm == TrainConfig().clipnorm  # neither measured nor given: the config's default
    assert page_start("lstm") == {"epochs": 3.0, "minutes": 5.0, "learning_rate": 0.01, "optimizer": "adam",
                                  "batch_size": 64, "window": 32, "seed": 0, "keep_best": False, "patience": 0}


@pytest.mark.parametrize("values, message", [
    ({"epochs": 0, "minutes": 0}, r"^Set a number of epochs or of minutes \(or both: whichever comes first\)\.$"),
    ({"epochs": None, "minutes": ""}, r"^Set a number of epochs or of minutes"),
    ({"epochs": -1, "minutes": 2}, r"^Epochs and minutes cannot be negative\.$"),
    ({"epochs": 1, "learning_rate": "fast"}, r"^learning_rate must be a number \(got 'fast'\)\.$"),
    ({"epochs": 1, "batch_size": 2.5}, r"^batch_size must be a whole number \(got 2\.5\)\.$"),
])
def test_the_train_tabs_values_are_refused_clearly(values, message):
    with pytest.raises(PlaygroundError, match=message):
        config_from_page("lstm", values)


def test_the_train_tabs_zero_means_no_limit():
    config = config_from_page("gru", {"epochs": 0, "minutes": 2, "seed": 7})
    assert (config.epochs, config.minutes, config.seed) == (None, 2.0, 7)
    assert config.batch_size == architecture("gru").train_defaults["batch_size"]


def test_links_read_every_setting_the_page_shows():
    assert set(setup_link.MODEL_FIELDS) == set(page_settings())
    values, problems = setup_link.parse("arch=gan&cell=gru&straight_through=true&mle_mix=0.25&train_seed=5"
                                        "&learning_rate=0")
    assert values == {"arch": "gan", "cell": "gru", "straight_through": True, "mle_mix": 0.25, "train_seed": 5}
    assert problems == ["learning_rate='0' is outside 0 to 1"]
    assert setup_link.to_query(values) == "arch=gan&cell=gru&mle_mix=0.25&straight_through=true&train_seed=5"


def test_the_web_api_takes_the_declared_settings_by_name():
    from playground.ui import model_tab, train_tab
    from playground.ui.common import bind

    names = list(inspect.signature(bind(None, train_tab.train, (*model_tab.FORM, *page_start("lstm")))).parameters)
    assert names == ["arch", "units", "layers", "embedding_dim", "dropout", "heads", "context_length", "cell",
                     "pretrain_share", "beta_max", "d_steps", "mle_mix", "straight_through", "epochs", "minutes",
                     "learning_rate", "optimizer", "batch_size", "window", "seed", "keep_best", "patience",
                     "request"]


def test_a_new_setting_is_one_declaration():
    """The README's worked example: a field with its setting is checked, read from a form and a
    link, and shown on the page with nothing else written."""
    from playground.ui.common import control

    @dataclasses.dataclass(frozen=True)
    class WithWidth(ModelConfig):
        width: int = setting(3, "Width", 1, 5, page=(1, 5, 1), help="How wide.")

        def __post_init__(self):
            check(self)

    assert WithWidth(vocab_size=10).width == 3
    with pytest.raises(PlaygroundError, match=r"^Width must be between 1 and 5 \(got 9\)\.$"):
        WithWidth(vocab_size=10, width=9)
    assert from_form(WithWidth, {"width": "4"}) == {"width": 4}
    (item,) = [i for i in declared(WithWidth) if i.name == "width"]
    linked = setup_link.linked("width", [item])
    assert (linked.name, linked.kind, linked.setting.low, linked.setting.high) == ("width", int, 1, 5)
    slider = control(item)
    assert (slider.minimum, slider.maximum, slider.step, slider.value, slider.label, slider.info) == \
        (1, 5, 1, 3, "Width", "How wide.")
    assert isinstance(Setting("x"), Setting)


def test_resume_reads_the_declared_flags_of_what_a_stretch_may_change():
    args = cli.parser().parse_args(["resume", "--run", "runs/x", "--minutes", "2", "--lr", "0.001", "--warmup", "5"])
    assert (args.epochs, args.minutes, args.learning_rate, args.schedule, args.warmup_steps) == \
        (None, 2.0, 0.001, None, 5)
    with pytest.raises(PlaygroundError, match="not allowed with argument"):
        cli.parser().parse_args(["resume", "--run", "runs/x", "--minutes", "2", "--epochs", "1"])
